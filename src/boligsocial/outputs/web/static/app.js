/* boligsocial dashboard. Every figure comes from /api/v1; this script only draws it. */
"use strict";

const CFG = JSON.parse(document.getElementById("config").textContent);
const T = CFG.t;
const LOCALE = CFG.lang === "da" ? "da-DK" : "en-GB";
// Colour-blind safe: viridis for quantities, Okabe-Ito for categories and traffic lights.
const SEQ = ["#fde725", "#5ec962", "#21918c", "#3b528b", "#440154"];
const CATEGORY = { omdannelse: "#D55E00", parallelsamfund: "#E69F00", udsat: "#F0E442",
                   forebyggelse: "#56B4E9", none: "#eeeeee" };
const TRAFFIC = { roed: "#D55E00", gul: "#F0E442", groen: "#009E73" };
const NO_DATA = "#ffffff";
const CRITERIA_INDICATORS = ["residents", "outside_labour_18_64", "convicted_18plus",
  "low_education_30_59", "mean_income_15_64", "nonwestern_share"];

async function api(path) {
  const response = await fetch(path);
  const body = await response.json();
  if (!response.ok) throw new Error(body.error ? body.error.message : String(response.status));
  return body;
}

function fmt(value, unit, digits) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  const nf = (d) => new Intl.NumberFormat(LOCALE, { maximumFractionDigits: d, minimumFractionDigits: d });
  switch (unit) {
    case "share": return T.percent.replace("{value}", nf(digits ?? 1).format(100 * value));
    case "pct": return T.percent.replace("{value}", nf(digits ?? 1).format(value));
    case "dkk": return T.kroner.replace("{amount}", nf(0).format(value));
    case "count": return nf(0).format(value);
    default: return nf(digits ?? 1).format(value);
  }
}

function unitText(unit) {
  return { share: T.share + " (%)", pct: T.pct, dkk: T.dkk, count: T.count, mean: T.mean }[unit] || unit;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v; else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

function options(select, items, selected) {
  select.replaceChildren(...items.map(([value, label]) => {
    const o = el("option", { value, text: label });
    if (String(value) === String(selected)) o.selected = true;
    return o;
  }));
}

/* A page redraws on every change of its controls; the answers to an older choice may arrive after
   those to a newer one (a slow first answer, a busy server) and must not overwrite what the newer
   choice drew. `newest(draw)` calls draw with a `current()` that is false once a newer call has
   started: draw asks it after each await and stops when it is false. */
function newest(draw) {
  let turn = 0;
  return (...args) => {
    const mine = ++turn;
    return draw(() => mine === turn, ...args);
  };
}

/* ---------- downloads: each file is an export job on the server, its progress shown here ---------- */

function csrfToken() {
  const input = document.querySelector('input[name="csrf"]');
  return input ? input.value : "";
}

/* A link a[data-export] points at the plain download (GET /api/v1/export/{fmt}?…, which works
   without script too); a click starts the same export as a job (POST /api/v1/exports), shows its
   progress beside the link and fetches the file when it is done, so a slow PDF never looks like a
   dead button. */
async function exportJob(link) {
  if (link.getAttribute("aria-busy") === "true") return;
  // one status line under a group of download buttons (the latest file asked for), else beside it
  const box = link.closest(".downloads");
  let status = box ? box.querySelector(".export-status") : link.nextElementSibling;
  if (!status || !status.classList.contains("export-status")) {
    status = el("span", { class: "export-status", role: "status", "aria-live": "polite" });
    if (box) box.append(status); else link.after(status);
  }
  const say = (state, text) => {
    status.dataset.state = state;
    status.dataset.fmt = link.dataset.fmt || "";
    status.textContent = `${link.textContent}: ${text}`;
  };
  link.setAttribute("aria-busy", "true");
  say("queued", T.export_queued);
  const url = new URL(link.href, window.location.href);
  const q = new URLSearchParams(url.search);
  q.set("fmt", url.pathname.split("/").pop());
  try {
    const started = await fetch(`/api/v1/exports?${q}`, { method: "POST", headers: { "X-CSRF-Token": csrfToken() } });
    let job = await started.json();
    if (!started.ok) throw new Error(job.error ? job.error.message : String(started.status));
    while (job.state !== "done") {
      if (job.state === "failed") throw new Error(job.error ? job.error.message : "");
      say(job.state, job.state === "running" ? `${T.export_making} ${Math.round(100 * job.progress)} %` : T.export_queued);
      await new Promise((resolve) => setTimeout(resolve, 500));
      job = await api(job.status_url);
    }
    say("done", T.export_ready);
    window.location.href = job.download_url;  // an attachment: the page stays where it is
  } catch (e) {
    say("failed", `${T.export_failed}: ${e.message || e}`);
  } finally {
    link.removeAttribute("aria-busy");
  }
}

document.addEventListener("click", (event) => {
  const link = event.target.closest ? event.target.closest("a[data-export]") : null;
  if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  exportJob(link);
});

/* ---------- map: areas in EPSG:25832 drawn as SVG paths (metres, y flipped) ---------- */

function ringPath(ring) {
  return "M" + ring.map(([x, y]) => `${x},${-y}`).join("L") + "Z";
}

function geometryPath(g) {
  const polys = g.type === "Polygon" ? [g.coordinates] : g.coordinates;
  return polys.map((poly) => poly.map(ringPath).join("")).join("");
}

function drawMap(svg, geo, style, onClick) {
  const [minx, miny, maxx, maxy] = geo.bbox;
  const pad = (maxx - minx) * 0.01;
  svg.setAttribute("viewBox", `${minx - pad} ${-maxy - pad} ${maxx - minx + 2 * pad} ${maxy - miny + 2 * pad}`);
  svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
  const ns = "http://www.w3.org/2000/svg";
  svg.replaceChildren();
  const defs = document.createElementNS(ns, "defs");
  defs.innerHTML = '<pattern id="hatch" patternUnits="userSpaceOnUse" width="120" height="120" ' +
    'patternTransform="rotate(45)"><rect width="120" height="120" fill="#fff"/>' +
    '<line x1="0" y1="0" x2="0" y2="120" stroke="#888" stroke-width="40"/></pattern>';
  svg.append(defs);
  if (CFG.basemap_url) {
    const img = document.createElementNS(ns, "image");
    const url = CFG.basemap_url.replace("{bbox}", geo.bbox.join(",")).replace("{width}", "1200")
      .replace("{height}", String(Math.round(1200 * (maxy - miny) / (maxx - minx))));
    img.setAttribute("href", url);
    img.setAttribute("x", minx); img.setAttribute("y", -maxy);
    img.setAttribute("width", maxx - minx); img.setAttribute("height", maxy - miny);
    img.setAttribute("opacity", "0.6");
    svg.append(img);
  }
  const tip = document.getElementById("tooltip");
  for (const f of geo.features) {
    const p = document.createElementNS(ns, "path");
    const s = style(f.properties.area_id);
    p.setAttribute("d", geometryPath(f.geometry));
    p.setAttribute("class", "area");
    p.setAttribute("fill-rule", "evenodd");
    p.setAttribute("fill", s.fill);
    p.dataset.areaId = f.properties.area_id;
    p.dataset.state = s.state || "value";
    p.addEventListener("mousemove", (e) => {
      tip.hidden = false;
      tip.replaceChildren(el("strong", { text: f.properties.name }), el("br"), s.label);
      tip.style.left = e.clientX + 14 + "px"; tip.style.top = e.clientY + 10 + "px";
    });
    p.addEventListener("mouseleave", () => { tip.hidden = true; });
    p.addEventListener("click", () => onClick(f.properties.area_id));
    svg.append(p);
  }
}

function quantileBreaks(values, n) {
  const v = values.filter((x) => x !== null && x !== undefined).sort((a, b) => a - b);
  if (!v.length) return [];
  const breaks = [];
  for (let i = 1; i < n; i++) breaks.push(v[Math.min(v.length - 1, Math.floor((i * v.length) / n))]);
  return [...new Set(breaks)];
}

function classOf(value, breaks) {
  let i = 0;
  while (i < breaks.length && value >= breaks[i]) i++;
  return i;
}

function legendItems(container, items, unit) {
  container.replaceChildren(
    ...items.map(([colour, label, hatch]) => el("span", {},
      el("span", { class: "swatch", style: hatch ? "background: repeating-linear-gradient(45deg,#888 0 3px,#fff 3px 6px)" : `background:${colour}` }),
      label)),
    ...(unit ? [el("span", { class: "unit", text: unit })] : []));
}

/* ---------- shared loaders ---------- */

let META = null;
async function meta() { return (META = META || (await api("/api/v1/meta"))); }

function indicatorOptions(m) {
  return m.indicators.map((i) => [i.id, `${CFG.lang === "da" ? i.label_da : i.label_en}`]);
}

function label(ind) { return CFG.lang === "da" ? ind.label_da : ind.label_en; }

function categoryName(c) { return T[`list_${c}`]; }

/* The name of a concept's id (layer, topic, housing type, kind of area, …) from the catalogues'
   vocabulary; a municipality's own layer or topic has none and is shown by its id, spaced. */
function nameOf(concept, id) { return T[`${concept}_${id}`] || String(id).replaceAll("_", " "); }

/* ---------- shared by several pages ---------- */

function badge(category, eligible) {
  const b = el("span", { class: "badge", text: categoryName(category) + (eligible ? "" : "*") });
  b.style.background = CATEGORY[category] || "#fff";
  if (!eligible) b.title = T.indicative;
  return b;
}

function trafficBadge(colour) {
  const b = el("span", { class: "badge", text: T[`colour_${colour}`] });
  b.style.background = TRAFFIC[colour];
  return b;
}

const CHART_LAYOUT = { margin: { l: 60, r: 20, t: 80, b: 80 }, height: 340, font: { size: 12 },
  legend: { orientation: "h", y: -0.35 } };
const CHART_CONFIG = { displaylogo: false, responsive: true,
  modeBarButtonsToRemove: ["toImage", "sendDataToCloud", "lasso2d", "select2d"] };

const PAGES = window.BSM_PAGES || {};
// a page rendered whole on the server (Revision) has no script of its own
if (PAGES[CFG.page]) PAGES[CFG.page]().catch((e) => {
  console.error(e);
  document.querySelector("main").prepend(el("p", { class: "why", text: String(e.message || e) }));
});
