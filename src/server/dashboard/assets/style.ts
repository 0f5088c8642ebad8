/** The dashboard's one stylesheet (served as /assets/app-<hash>.css; no inline styles: the CSP forbids them). */
export const CSS = `
:root{--bg:#f5f6f8;--panel:#fff;--line:#e2e5ea;--line2:#eef0f3;--text:#1d2430;--muted:#5d6778;--faint:#8a93a3;
--accent:#2457c5;--accent-bg:#e8eefb;--ok:#1d7a46;--ok-bg:#e3f4ea;--bad:#b42318;--bad-bg:#fdeceb;--warn:#9a5b00;--warn-bg:#fdf3dc;
--used:#7a8799;--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace}
*{box-sizing:border-box}
html{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--text);background:var(--bg)}
body{margin:0}
a{color:var(--accent);text-decoration:none}
a:hover{text-decoration:underline}
h1{font-size:20px;margin:0;font-weight:600}
h2{font-size:13px;margin:0 0 10px;font-weight:600;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
h3{font-size:14px;margin:14px 0 6px;font-weight:600}
code,.mono{font-family:var(--mono);font-size:12.5px}
.top{display:flex;align-items:center;gap:22px;background:#1c2533;color:#dfe5ee;padding:0 24px;height:48px}
.brand{font-weight:700;letter-spacing:.02em;color:#fff;display:flex;align-items:center;gap:8px}
.brand svg{display:block}
.top nav{display:flex;gap:4px;flex:1}
.top nav a{color:#c3ccd9;padding:6px 10px;border-radius:5px}
.top nav a:hover{background:#2b3748;text-decoration:none;color:#fff}
.top nav a.on{background:#31405a;color:#fff}
.top form{margin:0}
.top button{white-space:nowrap;background:none;border:1px solid #3f4d63;color:#c3ccd9;border-radius:5px;padding:4px 10px;font:inherit;cursor:pointer}
.top button:hover{color:#fff;border-color:#6a7a93}
main{padding:20px 24px 40px;max-width:1440px;margin:0 auto}
.head{display:flex;align-items:baseline;justify-content:space-between;gap:16px;margin-bottom:16px;flex-wrap:wrap}
.head .sub{color:var(--muted)}
.grid{display:grid;gap:16px}
.kpis{grid-template-columns:repeat(auto-fit,minmax(170px,1fr))}
.two{grid-template-columns:minmax(0,3fr) minmax(0,2fr)}
@media (max-width:1000px){.two{grid-template-columns:minmax(0,1fr)}}
.panel{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:14px 16px}
.panel.flush{padding:0;overflow-x:auto}
.panel.flush>h2{padding:14px 16px 0}
.kpi .v{font-size:28px;font-weight:650;line-height:1.15;font-variant-numeric:tabular-nums}
.kpi .l{color:var(--muted);font-size:12.5px;margin-top:2px}
.kpi.ok .v{color:var(--ok)}.kpi.bad .v{color:var(--bad)}.kpi.warn .v{color:var(--warn)}
.tabs{display:inline-flex;border:1px solid var(--line);border-radius:6px;overflow:hidden}
.tabs a{padding:3px 10px;color:var(--muted);border-left:1px solid var(--line)}
.tabs a:first-child{border-left:0}
.tabs a.on{background:var(--accent-bg);color:var(--accent);font-weight:600}
.tabs a:hover{text-decoration:none;background:var(--line2)}
.row{display:flex;align-items:center;justify-content:space-between;gap:12px;margin-bottom:8px}
.row h2{margin:0}
svg.chart{width:100%;height:auto;display:block}
.chart .grid-line{stroke:var(--line);stroke-width:1}
.chart .axis{fill:var(--faint);font-size:11px;font-family:inherit}
.chart .line{fill:none;stroke:var(--accent);stroke-width:2;stroke-linejoin:round;stroke-linecap:round}
.chart .area{fill:var(--accent);opacity:.08}
.chart .pt{fill:var(--panel);stroke:var(--accent);stroke-width:1.5}
.chart .pt:hover{fill:var(--accent)}
.chart .empty{fill:var(--faint);font-size:13px}
.chart .hit{fill:transparent}
.chart .hit:hover{fill:#2457c50f}
.statebar{width:100%;height:14px;display:block;border-radius:4px;overflow:hidden}
.s-compliant{fill:var(--ok)}.s-noncompliant{fill:var(--bad)}.s-stale{fill:#d79a1f}.s-none{fill:var(--line)}
.legend{display:flex;gap:18px;flex-wrap:wrap;margin-top:10px}
.legend a{color:var(--text)}
.legend .n{font-weight:650;font-variant-numeric:tabular-nums}
.dot{display:inline-block;width:9px;height:9px;border-radius:2px;margin-right:6px;vertical-align:0}
.dot.compliant{background:var(--ok)}.dot.noncompliant{background:var(--bad)}.dot.stale{background:#d79a1f}.dot.sel{background:var(--accent)}.dot.used{background:var(--used)}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid var(--line2);vertical-align:top}
th{font-size:12px;font-weight:600;color:var(--muted);background:#fafbfc;white-space:nowrap}
tbody tr:hover td{background:#fafbfd}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.wrap{word-break:break-all}
.nowrap{white-space:nowrap}
.muted{color:var(--muted)}.faint{color:var(--faint)}
.bars td{border:0;padding:3px 8px}
.bars{table-layout:fixed}
.bars td.m{width:46%;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.bars svg{width:100%;height:22px;display:block}
.bars .sel{fill:var(--accent)}.bars .used{fill:var(--used)}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;white-space:nowrap}
.badge.compliant,.badge.ok{background:var(--ok-bg);color:var(--ok)}
.badge.noncompliant,.badge.bad,.badge.drifted,.badge.unparseable,.badge.unsafe,.badge.error{background:var(--bad-bg);color:var(--bad)}
.badge.stale,.badge.warn,.badge.repaired{background:var(--warn-bg);color:var(--warn)}
.badge.missing,.badge.neutral{background:var(--line2);color:var(--muted)}
.finding{display:block;font-size:12.5px}
.finding code{color:var(--bad)}
.finding.soft code{color:var(--warn)}
.filters{display:flex;gap:10px;flex-wrap:wrap;align-items:flex-end;margin-bottom:14px}
.filters label{display:flex;flex-direction:column;font-size:12px;color:var(--muted);gap:3px}
input,select{font:inherit;padding:5px 8px;border:1px solid #cdd2da;border-radius:5px;background:#fff;color:var(--text)}
input:focus,select:focus{outline:2px solid var(--accent-bg);border-color:var(--accent)}
input[type=search]{width:260px}
.btn{font:inherit;padding:5px 14px;border-radius:5px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer}
.btn.ghost{background:#fff;color:var(--accent)}
.pager{display:flex;gap:12px;align-items:center;justify-content:space-between;padding:10px 16px}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:6px 18px;margin:0}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0;word-break:break-all}
.user{border-top:1px solid var(--line);padding:12px 16px}
.user:first-of-type{border-top:0}
.user .uh{display:flex;gap:10px;align-items:center;margin-bottom:8px}
.user .uh strong{font-size:15px}
.kv{display:grid;grid-template-columns:repeat(auto-fit,minmax(230px,1fr));gap:8px 20px;margin-bottom:8px}
.kv .k{display:block;font-size:12px;color:var(--muted);margin-bottom:1px}
td .sub,.kv .sub{color:var(--faint);font-size:12.5px}
td .sub .mono,.kv .sub .mono{font-size:12px}
.facts.kv{margin:0}
.notice{padding:10px 14px;border-radius:6px;background:var(--warn-bg);color:#6b4000;margin-bottom:14px}
.notice.info{background:#eef2f8;color:var(--muted)}
.notice.err{background:var(--bad-bg);color:var(--bad)}
.empty-state{padding:28px 16px;text-align:center;color:var(--muted)}
.login{max-width:380px;margin:12vh auto 0}
.login .panel{padding:24px}
.login h1{margin-bottom:4px}
.login p{color:var(--muted);margin:0 0 18px}
.login label{display:block;font-size:12.5px;color:var(--muted);margin-bottom:4px}
.login input{width:100%;margin-bottom:14px}
.login .btn{width:100%;padding:7px}
.login .brandmark{display:flex;align-items:center;gap:8px;font-weight:700;margin-bottom:18px}
.gap-top{margin-top:16px}
.row.pad{padding:14px 16px 4px;margin:0}
.bad-text{color:var(--bad)}
.bars svg text{fill:var(--muted);font-size:10px;font-variant-numeric:tabular-nums}
div.pad{padding:8px 16px}
.small{font-size:12.5px}
@media (max-width:640px){.top{gap:10px;padding:0 12px}main{padding:14px 12px 32px}input[type=search]{width:100%}}
footer{color:var(--faint);font-size:12px;margin-top:24px}
`;
