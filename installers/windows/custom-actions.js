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
  var dir = data.substring(0, cut), text = data.substring(cut + 1);
  if (dir.charAt(dir.length - 1) != "\\") dir += "\\";
  var fso = new ActiveXObject("Scripting.FileSystemObject");
  var target = dir + "agent.json", tmp = dir + "agent.json.msi-tmp";
  if (!fso.FolderExists(dir)) return fail(dir + " does not exist");
  if (isReparsePoint(fso.GetFolder(dir))) return fail(dir + " is a reparse point; not writing through it");
  if (fso.FileExists(tmp)) fso.DeleteFile(tmp, true);
  var f = fso.CreateTextFile(tmp, true, false); // ASCII: the text is ASCII by construction
  f.Write(text);
  f.Close();
  if (fso.FileExists(target)) {
    if (isReparsePoint(fso.GetFile(target))) {
      fso.DeleteFile(tmp, true);
      return fail(target + " is a reparse point; not replacing it");
    }
    fso.DeleteFile(target, true);
  }
  fso.MoveFile(tmp, target);
  log("wrote " + target);
  return IDOK;
}
