// ccfleet MSI custom actions (JScript, run inside msiexec; stored in the MSI's Binary table).
//
// When any of SERVER_URL, ENROLL_SECRET, POLICY_URL, POLICY_PUBLIC_KEYS is given on the msiexec command
// line, C:\ProgramData\ccfleet\agent.json is replaced by a file holding exactly those keys:
//   PrepareAgentConfig  immediate: reads and checks the properties, builds the JSON (ASCII: every
//                       non-ASCII character as \uXXXX) and hands "<folder>\n<json>" to the next action;
//   WriteAgentConfig    deferred, as LocalSystem: writes it to a temporary file beside agent.json and
//                       renames it into place, refusing a folder or file that is a reparse point.
// Both the property holding the data and ENROLL_SECRET are in MsiHiddenProperties, and the deferred
// action is HideTarget: the secret never reaches an msiexec log. Property names and the data folder's
// property (CcfleetDataDir) match src/ship/windows/msi-layout.ts (checked by test/ship/windows-msi.test.ts).
// JScript 5.8 (ES3): no JSON object, no let/const, no arrow functions.
var IDOK = 1, IDABORT = 3, REPARSE_POINT = 1024;

function log(text) {
  try {
    var rec = Session.Installer.CreateRecord(0);
    rec.StringData(0) = "ccfleet: " + text;
    Session.Message(0x04000000, rec); // INSTALLMESSAGE_INFO: the log only
  } catch (e) {}
}

function fail(text) {
  try {
    var rec = Session.Installer.CreateRecord(0);
    rec.StringData(0) = "ccfleet: " + text;
    Session.Message(0x01000000, rec); // INSTALLMESSAGE_ERROR: shown (or logged under /qn)
  } catch (e) {}
  return IDABORT;
}

function jsonString(s) {
  var out = '"';
  for (var i = 0; i < s.length; i++) {
    var c = s.charAt(i), n = s.charCodeAt(i);
    if (c == '"' || c == "\\") out += "\\" + c;
    else if (n < 0x20 || n > 0x7e) out += "\\u" + ("0000" + n.toString(16)).slice(-4);
    else out += c;
  }
  return out + '"';
}

function PrepareAgentConfig() {
  var server = Session.Property("SERVER_URL");
  var secret = Session.Property("ENROLL_SECRET");
  var policy = Session.Property("POLICY_URL");
  var keys = Session.Property("POLICY_PUBLIC_KEYS");
  var dir = Session.Property("CcfleetDataDir");
  var lines = [];
  if (server) {
    if (!/^https?:\/\/[^\s"\\]+$/i.test(server)) return fail("SERVER_URL must be an http(s) URL, got: " + server);
    lines.push('  "server": ' + jsonString(server));
  }
  if (secret) lines.push('  "enrollSecret": ' + jsonString(secret));
  if (policy) lines.push('  "policy": ' + jsonString(policy));
  if (keys) {
    var list = keys.split(/[\s,;]+/), quoted = [];
    for (var i = 0; i < list.length; i++) if (list[i]) quoted.push(jsonString(list[i]));
    if (quoted.length) lines.push('  "policyPublicKeys": [' + quoted.join(", ") + "]");
  }
  if (!dir) return fail("the data folder property CcfleetDataDir is not set");
  Session.Property("WriteAgentConfig") = dir + "\n{\r\n" + lines.join(",\r\n") + "\r\n}\r\n";
  return IDOK;
}

// True when the item is a reparse point (symbolic link, junction, mount point). Windows' scripting
// runtime always answers; Wine's Folder.Attributes is a stub that throws, so there the check is skipped.
function isReparsePoint(item) {
  try {
    return (item.Attributes & REPARSE_POINT) != 0;
  } catch (e) {
    return false;
  }
}

function WriteAgentConfig() {
  var data = Session.Property("CustomActionData");
  var cut = data.indexOf("\n");
  if (cut < 1) return fail("no agent config data");
  var problem = replaceFile(data.substring(0, cut), "agent.json", data.substring(cut + 1));
  return problem ? fail(problem) : IDOK;
}

// Writes dir\name through a temporary file beside it, refusing a folder or file that is a reparse point.
// Returns null, or what went wrong.
function replaceFile(dir, name, text) {
  if (dir.charAt(dir.length - 1) != "\\") dir += "\\";
  var fso = new ActiveXObject("Scripting.FileSystemObject");
  var target = dir + name, tmp = dir + name + ".msi-tmp";
  if (!fso.FolderExists(dir)) return dir + " does not exist";
  if (isReparsePoint(fso.GetFolder(dir))) return dir + " is a reparse point; not writing through it";
  if (fso.FileExists(tmp)) fso.DeleteFile(tmp, true);
  var f = fso.CreateTextFile(tmp, true, false); // ASCII: the text is ASCII by construction
  f.Write(text);
  f.Close();
  if (fso.FileExists(target)) {
    if (isReparsePoint(fso.GetFile(target))) {
      fso.DeleteFile(tmp, true);
      return target + " is a reparse point; not replacing it";
    }
    fso.DeleteFile(target, true);
  }
  fso.MoveFile(tmp, target);
  log("wrote " + target);
  return null;
}

// The per-user WSL task (src/ship/windows/wsl-task.ts, docs/wsl.md "The catch"). WSL distributions belong
// to a Windows user, so the LocalSystem service sees none; a Task Scheduler task runs ccfleet.exe wsl repair
// as each logged-on member of BUILTIN\Users. Names match src/ship/windows/wsl-task.ts (checked by the test).
//   PrepareWslTask  immediate: hands "<bin folder>\n<System32>\n<wsl-task.json text, or empty>" to
//                   InstallWslTask and "<bin folder>\n<System32>\n<1 when the product goes for good>" to
//                   RemoveWslTask;
//   InstallWslTask  deferred, as LocalSystem: writes wsl-task.json beside ccfleet.exe (users can read it:
//                   the policy source and pinned keys only, NEVER the enrollment secret) when POLICY_URL or
//                   POLICY_PUBLIC_KEYS is given (else the installed one again, or a commented empty one), then
//                   schtasks /Create /TN \ccfleet\ccfleet-wsl /XML <bin folder>\ccfleet-wsl-task.xml /F;
//   RemoveWslTask   deferred, as LocalSystem: schtasks /Delete /TN \ccfleet\ccfleet-wsl /F (no such task is
//                   fine), and wsl-task.json unless an upgrade is removing the old version.
var WSL_TASK_NAME = "\\ccfleet\\ccfleet-wsl", WSL_TASK_XML = "ccfleet-wsl-task.xml", WSL_TASK_CONFIG = "wsl-task.json";
var WSL_TASK_EMPTY_CONFIG = "// ccfleet: the agent config of the per-user WSL task (ccfleet wsl repair --config <this file>).\r\n" +
  "// Every user can read this file: never put the enrollment secret here. Written by the MSI from\r\n" +
  "// POLICY_URL and POLICY_PUBLIC_KEYS; see docs/wsl.md.\r\n{\r\n}\r\n";

function withSlash(dir) {
  return dir.charAt(dir.length - 1) == "\\" ? dir : dir + "\\";
}

function PrepareWslTask() {
  var bin = Session.Property("CcfleetBinDir"), sys = Session.Property("System64Folder") || Session.Property("SystemFolder");
  if (!bin || !sys) return fail("the folder properties CcfleetBinDir/System64Folder are not set");
  var policy = Session.Property("POLICY_URL"), keys = Session.Property("POLICY_PUBLIC_KEYS"), lines = [];
  if (policy) lines.push('  "policy": ' + jsonString(policy));
  if (keys) {
    var list = keys.split(/[\s,;]+/), quoted = [];
    for (var i = 0; i < list.length; i++) if (list[i]) quoted.push(jsonString(list[i]));
    if (quoted.length) lines.push('  "policyPublicKeys": [' + quoted.join(", ") + "]");
  }
  // No property given: carry the installed file over, since an upgrade removes the old version (and with it
  // this file) before the new one is installed, whether or not UPGRADINGPRODUCTCODE tells it so (Wine's not).
  var config = lines.length ? "{\r\n" + lines.join(",\r\n") + "\r\n}\r\n" : readText(withSlash(bin) + WSL_TASK_CONFIG);
  var forGood = Session.Property("REMOVE") == "ALL" && !Session.Property("UPGRADINGPRODUCTCODE");
  Session.Property("InstallWslTask") = bin + "\n" + sys + "\n" + config;
  Session.Property("RemoveWslTask") = bin + "\n" + sys + "\n" + (forGood ? "1" : "0");
  return IDOK;
}

// The text of a file, or "" when it is absent or unreadable.
function readText(file) {
  try {
    var fso = new ActiveXObject("Scripting.FileSystemObject");
    if (!fso.FileExists(file)) return "";
    var f = fso.OpenTextFile(file, 1, false, 0), text = f.AtEndOfStream ? "" : f.ReadAll();
    f.Close();
    return text;
  } catch (e) {
    return "";
  }
}

function wslTaskData() {
  var parts = Session.Property("CustomActionData").split("\n");
  if (parts.length < 3 || !parts[0] || !parts[1]) return null;
  return { bin: withSlash(parts[0]), sys: withSlash(parts[1]), rest: parts.slice(2).join("\n") };
}

// Runs a command line with no window and waits: its exit code.
function runHidden(commandLine) {
  log("running " + commandLine);
  return new ActiveXObject("WScript.Shell").Run(commandLine, 0, true);
}

function InstallWslTask() {
  var d = wslTaskData();
  if (!d) return fail("no WSL task data");
  var fso = new ActiveXObject("Scripting.FileSystemObject");
  var problem = null;
  if (d.rest) problem = replaceFile(d.bin, WSL_TASK_CONFIG, d.rest);
  else if (!fso.FileExists(d.bin + WSL_TASK_CONFIG)) problem = replaceFile(d.bin, WSL_TASK_CONFIG, WSL_TASK_EMPTY_CONFIG);
  if (problem) return fail(problem);
  var rc = runHidden('"' + d.sys + 'schtasks.exe" /Create /TN "' + WSL_TASK_NAME + '" /XML "' + d.bin + WSL_TASK_XML + '" /F');
  if (rc != 0) return fail("schtasks /Create " + WSL_TASK_NAME + " failed (exit " + rc + "); WSL_TASK=0 installs without the WSL task");
  log("registered the scheduled task " + WSL_TASK_NAME);
  return IDOK;
}

function RemoveWslTask() {
  var d = wslTaskData();
  if (!d) return IDOK; // never fail a removal over the task
  try {
    var rc = runHidden('"' + d.sys + 'schtasks.exe" /Delete /TN "' + WSL_TASK_NAME + '" /F');
    log(rc == 0 ? "deleted the scheduled task " + WSL_TASK_NAME : "schtasks /Delete " + WSL_TASK_NAME + ": exit " + rc + " (no such task)");
    var fso = new ActiveXObject("Scripting.FileSystemObject"), config = d.bin + WSL_TASK_CONFIG;
    if (d.rest == "1" && fso.FileExists(config)) fso.DeleteFile(config, true);
  } catch (e) {
    log("removing the WSL task: " + e.message);
  }
  return IDOK;
}
