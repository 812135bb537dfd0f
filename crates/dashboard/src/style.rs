//! The dashboard's one stylesheet, served from `/static/app.css` (the CSP
//! allows styles from this site only, none inline).

pub const CSS: &str = r#"
:root{--bad:#b00020;--worse:#7b0016;--warn:#b35c00;--ok:#1b5e20;--grey:#555;--line:#ddd}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0;color:#111;background:#fafafa}
nav{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;padding:.6rem 1rem;background:#1f2933;color:#fff}
nav a{color:#fff;text-decoration:none}nav a.brand{font-weight:700;margin-right:1rem}
nav .who{margin-left:auto;opacity:.85;font-size:.9rem}
form.inline{display:inline}
nav button{background:transparent;color:#fff;border:1px solid #fff;border-radius:4px;padding:.15rem .5rem;cursor:pointer}
main{max-width:1200px;margin:0 auto;padding:1rem}
h1{margin:.4rem 0 .6rem}
h2{border-bottom:2px solid var(--line);padding-bottom:.2rem;margin-top:1.6rem}
.muted{color:var(--grey)}
.error{background:#fde8ea;border:1px solid var(--bad);padding:.5rem .7rem;border-radius:4px}
section.cards{display:flex;flex-wrap:wrap;gap:.6rem;margin:.6rem 0}
a.card{display:flex;flex-direction:column;min-width:9.5rem;padding:.6rem .8rem;border-radius:6px;color:#fff;text-decoration:none}
a.card .count{font-size:1.8rem;font-weight:700}
a.card .label{font-size:.85rem}
a.card .delta{font-size:.8rem;opacity:.9}
a.card.exp{background:#37474f}
.v{display:inline-block;padding:.05rem .4rem;border-radius:3px;color:#fff;font-size:.85rem}
.v-compromised{background:var(--worse)}.v-exploited{background:var(--bad)}
.v-attempted{background:var(--warn)}.v-inconclusive{background:#8a6d00}
.v-clean{background:var(--ok)}.v-none{background:#777}
header.server{padding:.8rem 1rem;border-radius:6px;color:#fff}
header.server h1{margin:0 0 .3rem;overflow-wrap:anywhere}
header.server p{margin:.2rem 0;overflow-wrap:anywhere}
p.step{background:#fff;border-left:4px solid var(--bad);padding:.5rem .7rem}
table{border-collapse:collapse;width:100%;margin:.4rem 0;font-size:.9rem;background:#fff}
th,td{border:1px solid var(--line);padding:.25rem .4rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#f0f0f0}
code{font-family:ui-monospace,Consolas,monospace;font-size:.85rem}
form.filters{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:flex-end;background:#fff;border:1px solid var(--line);padding:.6rem;border-radius:6px}
form.filters label{font-size:.85rem}
form.login{display:flex;flex-direction:column;gap:.7rem;max-width:22rem}
form.login label{display:flex;flex-direction:column;font-size:.9rem}
input,select,button{font:inherit}
svg.chart{width:100%;height:auto;background:#fff;border:1px solid var(--line)}
svg.swatch{width:.8rem;height:.8rem;vertical-align:middle}
p.legend{font-size:.85rem}p.legend .key{margin-right:1rem}
iframe.report{width:100%;height:80vh;border:1px solid var(--line);background:#fff}
p.pages a{margin-right:1rem}
@media (max-width:640px){table{font-size:.8rem}a.card{min-width:7rem}}
"#;
