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
    case "share": return nf(digits ?? 1).format(100 * value) + " %";
    case "pct": return nf(digits ?? 1).format(value) + " %";
    case "dkk": return nf(0).format(value) + " kr.";
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

function categoryName(c) { return c === "none" ? T.none : T[c] || c; }

/* ---------- Oversigt ---------- */

async function overview() {
  const m = await meta();
  const layer = document.getElementById("layer"), mode = document.getElementById("mode");
  const indicator = document.getElementById("indicator"), year = document.getElementById("year");
  options(layer, m.layers.map((l) => [l.id, `${l.id} (${l.areas})`]), "omraade");
  options(indicator, indicatorOptions(m), "outside_labour_18_64");
  year.min = m.data_years[0]; year.max = m.data_years[m.data_years.length - 1]; year.step = 1;
  year.value = year.max;
  const update = async () => {
    document.getElementById("year-label").textContent = year.value;
    for (const a of document.querySelectorAll("#downloads a")) {  // exports follow the layer and year
      const one = a.dataset.fmt === "pdf" || a.dataset.fmt === "geojson" || a.dataset.fmt === "csv";
      a.href = `/api/v1/export/${a.dataset.fmt}?layer=${encodeURIComponent(layer.value)}${one ? `&year=${year.value}` : ""}`;
    }
    indicator.disabled = mode.value !== "indicator";
    const y = Number(year.value), listYear = y + 1;
    const geo = await api(`/api/v1/layers/${layer.value}/areas?year=${y}`);
    const svg = document.getElementById("map"), legend = document.getElementById("legend");
    const title = document.getElementById("map-title");
    const open = (id) => { window.location = `/omraade/${layer.value}/${encodeURIComponent(id)}`; };
    if (mode.value === "indicator") {
      const data = await api(`/api/v1/layers/${layer.value}/values?indicator=${indicator.value}&year=${y}`);
      const unit = data.indicator.unit, byId = Object.fromEntries(data.areas.map((a) => [a.area_id, a]));
      const breaks = quantileBreaks(data.areas.map((a) => a.value), SEQ.length);
      drawMap(svg, geo, (id) => {
        const a = byId[id];
        if (!a) return { fill: NO_DATA, state: "nodata", label: T.no_data };
        if (a.state === "suppressed" || a.state === "small")
          return { fill: "url(#hatch)", state: "suppressed", label: a.label || T.suppressed };
        if (!a || a.value === null) return { fill: NO_DATA, state: "nodata", label: T.no_data };
        return { fill: SEQ[classOf(a.value, breaks)], label: fmt(a.value, unit) + (a.state === "uncertain" ? " (usikker)" : "") };
      }, open);
      title.textContent = `${label(data.indicator)} · ${T.data_year} ${y}`;
      const edges = [null, ...breaks, null];
      legendItems(legend, [
        ...SEQ.slice(0, breaks.length + 1).map((c, i) => [c,
          edges[i] === null ? `< ${fmt(edges[i + 1], unit)}` : edges[i + 1] === null ? `≥ ${fmt(edges[i], unit)}`
            : `${fmt(edges[i], unit)} – ${fmt(edges[i + 1], unit)}`]),
        [NO_DATA, T.no_data], ["", T.suppressed, true]],
        `${unitText(unit)} · ${T.municipality}: ${fmt(data.municipality && data.municipality.value, unit)}`);
    } else if (m.list_years.includes(listYear)) {
      const traffic = mode.value === "traffic";
      const rows = traffic
        ? await api(`/api/v1/traffic-lights?model=kriterier&layer=${layer.value}&year=${listYear}`)
        : await api(`/api/v1/lists?year=${listYear}&layer=${layer.value}`);
      const byId = Object.fromEntries(rows.map((r) => [r.area_id, r]));
      drawMap(svg, geo, (id) => {
        const r = byId[id];
        if (!r) return { fill: NO_DATA, state: "nodata", label: T.no_data };
        if (traffic) return { fill: TRAFFIC[r.colour], label: `${T[r.colour]}: ${r.reason}` };
        const c = r.eligible ? categoryName(r.category) : `${categoryName(r.category)} (${T.indicative})`;
        return { fill: CATEGORY[r.category], label: c };
      }, open);
      title.textContent = `${traffic ? T.by_traffic : T.by_category} · ${T.list_year} ${listYear}`;
      legendItems(legend, traffic
        ? Object.entries(TRAFFIC).map(([k, c]) => [c, T[k]])
        : Object.entries(CATEGORY).map(([k, c]) => [c, categoryName(k)]), "");
    } else {
      drawMap(svg, geo, () => ({ fill: NO_DATA, state: "nodata", label: T.no_data }), open);
      title.textContent = `${T.list_year} ${listYear}: ${T.no_data}`;
      legendItems(legend, [[NO_DATA, T.no_data]], "");
    }
    await watch(layer.value, listYear, m);
  };
  for (const c of [layer, mode, indicator, year]) c.addEventListener("input", update);
  await update();
}

async function watch(layer, listYear, m) {
  const table = document.getElementById("watch"), changes = document.getElementById("changes");
  document.getElementById("watch-year").textContent = `(${T.list_year} ${listYear})`;
  if (!m.list_years.includes(listYear)) { table.replaceChildren(); changes.replaceChildren(); return; }
  const rows = await api(`/api/v1/lists/watch?year=${listYear}&layer=${layer}`);
  table.replaceChildren(el("tr", {}, el("th", { text: T.area }), el("th", { text: T.category }),
    el("th", { text: T.criteria, class: "num" })),
  ...rows.map((r) => el("tr", {},
    el("td", {}, el("a", { href: `/omraade/${layer}/${encodeURIComponent(r.area_id)}`, text: r.name })),
    el("td", {}, badge(r.category, r.eligible), " ", r.colour ? trafficBadge(r.colour) : ""),
    el("td", { class: "num", text: String(r.criteria_met ?? "") }))));
  const changed = await api(`/api/v1/lists/changes?year=${listYear}&layer=${layer}`);
  changes.replaceChildren(...changed.map((r) => el("li", {},
    el("a", { href: `/omraade/${layer}/${encodeURIComponent(r.area_id)}`, text: r.name }),
    `: ${categoryName(r.category_before || "none")} → ${categoryName(r.category)}` +
    (r.changed ? `; ${T[r.previous] || "–"} → ${T[r.colour]}` : ""))));
  if (!changed.length) changes.append(el("li", { class: "muted", text: T.none }));
}

function badge(category, eligible) {
  const b = el("span", { class: "badge", text: categoryName(category) + (eligible ? "" : "*") });
  b.style.background = CATEGORY[category] || "#fff";
  if (!eligible) b.title = T.indicative;
  return b;
}

function trafficBadge(colour) {
  const b = el("span", { class: "badge", text: T[colour] });
  b.style.background = TRAFFIC[colour];
  return b;
}

/* ---------- Område ---------- */

const CHART_LAYOUT = { margin: { l: 60, r: 20, t: 80, b: 80 }, height: 340, font: { size: 12 },
  legend: { orientation: "h", y: -0.35 } };
const CHART_CONFIG = { displaylogo: false, responsive: true,
  modeBarButtonsToRemove: ["toImage", "sendDataToCloud", "lasso2d", "select2d"] };

async function area() {
  const { layer, area_id: id } = CFG;
  const base = `/api/v1/layers/${layer}/areas/${encodeURIComponent(id)}`;
  const [m, profile, breakdown] = await Promise.all([meta(), api(`${base}/profile?lang=${CFG.lang}`),
    api(`${base}/breakdown`)]);
  const latest = profile.latest;
  document.getElementById("area-sub").textContent = `${T.layer}: ${layer} · ${profile.area.kind || ""}` +
    (profile.eligible ? "" : ` · ${T.indicative}`);
  document.getElementById("why").replaceChildren(...profile.sentences.map((s) => el("p", { text: s })));
  if (latest) criteriaTable(latest);
  forecastTable(profile.forecast);
  trafficStrips(profile.traffic_lights);
  barChart("chart-age", `${T.by_age} · ${T.data_year} ${breakdown.year}`,
    breakdown.age.map((a) => a.indicator.replace("age_", "").replace("_plus", "+").replace("_", "–")),
    breakdown.age.map((a) => a.persons));
  barChart("chart-housing", `${T.by_housing} · ${T.data_year} ${breakdown.year}`,
    breakdown.housing.map((h) => h.housing_type), breakdown.housing.map((h) => h.persons));
  const topics = [...new Set(m.indicators.map((i) => i.topic))];
  const topic = document.getElementById("topic");
  options(topic, [["kriterier", T.criteria], ...topics.map((t) => [t, t])], "kriterier");
  const draw = async () => {
    const ids = topic.value === "kriterier" ? CRITERIA_INDICATORS
      : m.indicators.filter((i) => i.topic === topic.value).map((i) => i.id);
    const box = document.getElementById("series");
    box.replaceChildren(...ids.map((i) => el("div", { class: "chart", id: `chart-${i}` })));
    await Promise.all(ids.map(async (i) => seriesChart(`chart-${i}`,
      await api(`${base}/series?indicator=${i}`))));
  };
  topic.addEventListener("input", draw);
  await draw();
}

function criteriaTable(r) {
  document.getElementById("criteria-year").textContent = `(${T.list_year} ${r.list_year}, ${T.rule_set} ${r.rule_set})`;
  const rows = [["labour", "labour_share", "share"], ["crime", "crime_share", "share"],
    ["education", "education_share", "share"], ["income", "income_ratio", "share"],
    ["nonwestern", "nonwestern_share", "share"]];
  const names = { labour: "outside_labour_18_64", crime: "convicted_18plus", education: "low_education_30_59",
    income: "mean_income_15_64", nonwestern: "nonwestern_share" };
  const ind = Object.fromEntries(META.indicators.map((i) => [i.id, i]));
  document.getElementById("criteria").replaceChildren(
    el("tr", {}, ...[T.indicator, T.value, T.threshold, T.met, T.margin].map((h, i) =>
      el("th", { text: h, class: i ? "num" : "" }))),
    ...rows.map(([test, column, unit]) => {
      const persons = r[`${test}_margin_persons`], dkk = r[`${test}_margin_dkk`];
      const hidden = r[`${test}_state`] === "suppressed";
      const margin = hidden ? T.suppressed : `${fmt(r[`${test}_margin_pp`], "mean")} ${T.percent_points}` +
        (persons !== null && persons !== undefined ? ` / ${persons} ${T.persons}` : "") +
        (dkk !== null && dkk !== undefined ? ` / ${fmt(dkk, "dkk")}` : "");
      return el("tr", {}, el("td", { text: label(ind[names[test]]) }),
        el("td", { class: "num", text: hidden ? T.suppressed : fmt(r[column], unit) }),
        el("td", { class: "num", text: fmt(r[`${test}_threshold`], unit) }),
        el("td", { class: "num", text: hidden || r[`${test}_met`] === null ? "–" : r[`${test}_met`] ? T.yes : T.no }),
        el("td", { class: "num", text: margin }));
    }));
}

function forecastTable(rows) {
  const table = document.getElementById("forecast");
  if (!rows.length) { table.replaceChildren(el("tr", {}, el("td", { text: T.no_data }))); return; }
  const lists = ["udsat", "parallelsamfund", "omdannelse", "forebyggelse"];
  table.replaceChildren(el("tr", {}, el("th", { text: T.list_year }), ...lists.map((l) => el("th", { class: "num", text: T[l] })),
    el("th", { class: "num", text: "beskæft. (80 %)" })),
  ...rows.map((r) => el("tr", {}, el("td", { text: String(r.list_year) }),
    ...lists.map((l) => el("td", { class: "num", text: fmt(r[`p_${l}`], "share", 0) })),
    el("td", { class: "num", text: `${fmt(r.labour_point, "share")} (${fmt(r.labour_low, "share")}–${fmt(r.labour_high, "share")})` }))));
}

function trafficStrips(rows) {
  const box = document.getElementById("traffic");
  const models = [...new Set(rows.map((r) => r.model))];
  box.replaceChildren(...models.flatMap((model) => [el("div", { class: "muted", text: `${T.model}: ${model}` }),
    el("div", { class: "strip" }, ...rows.filter((r) => r.model === model).map((r) => {
      const s = el("span", { text: String(r.year), title: `${T[r.colour]}: ${r.reason}` });
      s.style.background = TRAFFIC[r.colour];
      return s;
    }))]));
}

function wrap(text, width = 48) {
  const words = text.split(" "), lines = [""];
  for (const w of words) {
    if ((lines[lines.length - 1] + " " + w).trim().length > width) lines.push(w);
    else lines[lines.length - 1] = (lines[lines.length - 1] + " " + w).trim();
  }
  return lines.join("<br>");
}

function barChart(id, title, x, y) {
  Plotly.newPlot(id, [{ type: "bar", x, y, marker: { color: "#21918c" } }],
    { ...CHART_LAYOUT, title: { text: title }, yaxis: { title: { text: T.persons } } }, CHART_CONFIG);
}

function seriesChart(id, s) {
  const unit = s.indicator.unit, scale = unit === "share" ? 100 : 1;
  const line = (points, name, color, dash) => ({ type: "scatter", mode: "lines+markers", name,
    x: points.map((p) => p.year), y: points.map((p) => (p.value === null ? null : p.value * scale)),
    line: { color, dash } });
  const traces = [line(s.area_series, s.area.name, "#0b5cad")];
  if (unit !== "count") {  // a count is not comparable with the municipality's total
    traces.push(line(s.municipality, T.municipality, "#555", "dot"));
    if (s.almen.length) traces.push(line(s.almen, T.almen_areas, "#E69F00", "dash"));
  }
  const years = s.area_series.map((p) => p.year);
  Plotly.newPlot(id, traces, { ...CHART_LAYOUT,
    title: { text: `${wrap(label(s.indicator))}<br><sub>${T.data_year} ${years[0]}–${years[years.length - 1]}</sub>` },
    xaxis: { title: { text: T.year }, dtick: 2 }, yaxis: { title: { text: unitText(unit) } } }, CHART_CONFIG);
}

/* ---------- Sammenlign ---------- */

async function compare() {
  const m = await meta();
  const layer = document.getElementById("layer"), indicator = document.getElementById("indicator");
  const year = document.getElementById("year"), areas = document.getElementById("areas");
  options(layer, m.layers.map((l) => [l.id, l.id]), "omraade");
  options(indicator, indicatorOptions(m), "outside_labour_18_64");
  options(year, m.data_years.map((y) => [y, y]).reverse(), m.data_years[m.data_years.length - 1]);
  let sortKey = "value", descending = true, rows = [];
  const table = document.getElementById("table");
  const render = (unit) => {
    const sorted = [...rows].sort((a, b) => {
      const x = a[sortKey], y = b[sortKey];
      const c = x === null ? 1 : y === null ? -1 : x < y ? -1 : x > y ? 1 : 0;
      return descending ? -c : c;
    });
    const head = [["name", T.area], ["value", T.value], ["numerator", "tæller"], ["denominator", "nævner"]];
    table.replaceChildren(el("tr", {}, ...head.map(([k, h]) => {
      const th = el("th", { text: h + (k === sortKey ? (descending ? " ▼" : " ▲") : ""), class: k === "name" ? "" : "num" });
      th.dataset.key = k;
      th.addEventListener("click", () => { descending = k === sortKey ? !descending : true; sortKey = k; render(unit); });
      return th;
    })), ...sorted.map((r) => el("tr", {},
      el("td", {}, el("a", { href: `/omraade/${layer.value}/${encodeURIComponent(r.area_id)}`, text: r.name })),
      el("td", { class: "num", text: r.state === "suppressed" ? T.suppressed : r.state === "small" ? r.label : fmt(r.value, unit) }),
      el("td", { class: "num", text: fmt(r.numerator, "count") }),
      el("td", { class: "num", text: fmt(r.denominator, "count") }))));
  };
  const update = async () => {
    const q = `indicator=${indicator.value}&year=${year.value}`;
    const data = await api(`/api/v1/layers/${layer.value}/values?${q}`);
    rows = data.areas;
    const csv = document.getElementById("csv");
    csv.href = `/api/v1/layers/${layer.value}/values.csv?${q}`;
    csv.hidden = !CFG.may_export;
    if (!areas.options.length || areas.dataset.layer !== layer.value) {
      const almen = rows.filter((r) => r.kind === "almen").slice(0, 2).map((r) => r.area_id);
      options(areas, rows.map((r) => [r.area_id, r.name]));
      for (const o of areas.options) o.selected = almen.includes(o.value);
      areas.dataset.layer = layer.value;
    }
    render(data.indicator.unit);
    const chosen = [...areas.selectedOptions].map((o) => o.value);
    const series = await Promise.all(chosen.map((id) =>
      api(`/api/v1/layers/${layer.value}/areas/${encodeURIComponent(id)}/series?indicator=${indicator.value}`)));
    const scale = data.indicator.unit === "share" ? 100 : 1;
    const traces = series.map((s) => ({ type: "scatter", mode: "lines+markers", name: s.area.name,
      x: s.area_series.map((p) => p.year), y: s.area_series.map((p) => (p.value === null ? null : p.value * scale)) }));
    if (series.length) traces.push({ type: "scatter", mode: "lines", name: T.municipality, line: { dash: "dot", color: "#555" },
      x: series[0].municipality.map((p) => p.year), y: series[0].municipality.map((p) => p.value * scale) });
    Plotly.react("compare-chart", traces, { ...CHART_LAYOUT, height: 340,
      title: { text: `${label(data.indicator)} · ${T.data_year} ${m.data_years[0]}–${m.data_years[m.data_years.length - 1]}` },
      xaxis: { title: { text: T.year } }, yaxis: { title: { text: unitText(data.indicator.unit) } } }, CHART_CONFIG);
  };
  for (const c of [layer, indicator, year, areas]) c.addEventListener("input", update);
  await update();
}

/* ---------- Lister ---------- */

async function lists() {
  const m = await meta();
  const layer = document.getElementById("layer"), year = document.getElementById("year");
  options(layer, m.layers.map((l) => [l.id, l.id]), "omraade");
  options(year, [...m.list_years].reverse().map((y) => [y, y]), m.list_years[m.list_years.length - 1]);
  const update = async () => {
    const y = Number(year.value);
    const rows = await api(`/api/v1/lists?year=${y}&layer=${layer.value}`);
    const geo = await api(`/api/v1/layers/${layer.value}/areas?year=${Math.min(y - 1, m.data_years[m.data_years.length - 1])}`);
    const byId = Object.fromEntries(rows.map((r) => [r.area_id, r]));
    document.getElementById("rule-set").textContent = rows.length ? `${T.rule_set}: ${rows[0].rule_set}` : "";
    drawMap(document.getElementById("map"), geo, (id) => {
      const r = byId[id];
      return r ? { fill: CATEGORY[r.category], label: categoryName(r.category) + (r.eligible ? "" : ` (${T.indicative})`) }
        : { fill: NO_DATA, state: "nodata", label: T.no_data };
    }, (id) => { window.location = `/omraade/${layer.value}/${encodeURIComponent(id)}`; });
    document.getElementById("map-title").textContent = `${T.by_category} · ${T.list_year} ${y}`;
    legendItems(document.getElementById("legend"), Object.entries(CATEGORY).map(([k, c]) => [c, categoryName(k)]), "* " + T.indicative);
    rows.sort((a, b) => (b.eligible - a.eligible) || (b.criteria_met ?? 0) - (a.criteria_met ?? 0));
    const cols = [["name", T.area], ["residents", T.residents], ["labour_share", "beskæft."], ["crime_ratio", "krim. ×"],
      ["education_share", "udd."], ["income_ratio", "indk."], ["nonwestern_share", "ikke-vestl."],
      ["criteria_met", T.criteria], ["category", T.category]];
    document.getElementById("table").replaceChildren(el("tr", {}, ...cols.map(([, h]) => el("th", { text: h }))),
      ...rows.map((r) => el("tr", {}, ...cols.map(([k]) => {
        if (k === "name") return el("td", {}, el("a", { href: `/omraade/${layer.value}/${encodeURIComponent(r.area_id)}`, text: r.name }));
        if (k === "category") return el("td", {}, badge(r.category, r.eligible));
        const unit = k === "residents" || k === "criteria_met" ? "count" : k === "crime_ratio" ? "mean" : "share";
        return el("td", { class: "num", text: fmt(r[k], unit, k === "crime_ratio" ? 2 : undefined) });
      }))));
    const dis = await api("/api/v1/lists/disagreements");
    const table = document.getElementById("disagreements");
    table.replaceChildren(el("tr", {}, ...[T.list_year, T.area, T.lists, "officiel", "beregnet"].map((h) => el("th", { text: h }))),
      ...dis.map((d) => el("tr", {}, el("td", { text: String(d.list_year) }), el("td", { text: d.name }),
        el("td", { text: T[d.list] || d.list }), el("td", { text: d.official ? T.yes : T.no }),
        el("td", { text: d.computed ? T.yes : T.no }))));
    if (!dis.length) table.append(el("tr", {}, el("td", { class: "muted", text: T.none })));
  };
  for (const c of [layer, year]) c.addEventListener("input", update);
  await update();
}

// pages with a script of their own (e.g. moves.js) register themselves in window.BSM_PAGES
const PAGES = { overview, area, compare, lists, ...(window.BSM_PAGES || {}) };
PAGES[CFG.page]().catch((e) => {
  console.error(e);
  document.querySelector("main").prepend(el("p", { class: "why", text: String(e.message || e) }));
});
