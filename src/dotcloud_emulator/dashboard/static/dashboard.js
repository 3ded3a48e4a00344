// The dashboard's page: plain DOM, no framework. Every value from the server is set as text,
// never parsed as HTML. Changes are POSTs carrying the page's token (see security.py).
"use strict";

const REFRESH_MS = 2000;
const MAX_LOG_LINES = 1000;
const token = document.querySelector('meta[name="csrf-token"]').content;
const app = document.body.dataset.app;
const scaleDrafts = new Map();
let logSource = null;
let followed = null;

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function apiPath(...parts) {
  return "/api/apps/" + [app, ...parts].map(encodeURIComponent).join("/");
}

async function getJson(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

async function post(url, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
    body: JSON.stringify(body),
  });
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

function showProblem(message) {
  const problem = document.getElementById("problem");
  problem.hidden = !message;
  problem.textContent = message || "";
}

// services and instances

function instanceRow(instance) {
  return el(
    "tr",
    { "data-instance": instance.label },
    el("td", { class: "label", text: instance.label }),
    el("td", { class: `state state-${instance.state}`, text: instance.state }),
    el("td", { class: "health", text: instance.health }),
    el("td", { class: "status", text: instance.status }),
    el(
      "td",
      {},
      el("button", {
        class: "restart",
        "data-instance": instance.label,
        text: "restart",
        onclick: () => act(apiPath("instances", instance.label, "restart"), {}),
      }),
      " ",
      el("button", { class: "show-logs", text: "logs", onclick: () => followLogs(instance.label) }),
    ),
  );
}

function portItem(port) {
  const shown = port.open
    ? el("a", { href: port.url, target: "_blank", rel: "noopener noreferrer", class: "open", text: port.url })
    : el("code", { text: port.url });
  return el("li", {}, el("span", { class: "port-name", text: port.name + ": " }), shown);
}

function scaleForm(service) {
  const input = el("input", {
    type: "number", min: "1", max: "10", "aria-label": `instances of ${service.name}`,
    class: "scale-count", "data-service": service.name,
    oninput: (e) => scaleDrafts.set(service.name, e.target.value),
  });
  input.value = scaleDrafts.get(service.name) ?? String(service.instances.length);
  const button = el("button", {
    class: "scale", "data-service": service.name, text: service.scaling ? "scaling…" : "scale",
    onclick: () => {
      scaleDrafts.delete(service.name);
      act(apiPath("services", service.name, "scale"), { instances: Number(input.value) });
    },
  });
  return el("p", { class: "scale-form" }, "instances: ", input, " ", button);
}

function serviceBlock(service) {
  const rows = service.instances.map(instanceRow);
  const table = el(
    "table", { class: "instances" },
    el("thead", {}, el("tr", {}, ...["instance", "state", "health", "docker", ""].map((t) => el("th", { text: t })))),
    el("tbody", {}, ...rows),
  );
  const block = el(
    "article", { class: "service", "data-service": service.name },
    el("h3", {}, service.name + " ", el("small", { text: service.type })),
    table,
  );
  if (service.ports.length) block.append(el("ul", { class: "ports" }, ...service.ports.map(portItem)));
  if (service.scalable) block.append(scaleForm(service));
  return block;
}

function renderAction(action) {
  const section = document.getElementById("action");
  section.hidden = !action;
  if (!action) return;
  const outcome = action.running ? "running…" : action.error ? "failed: " + action.error : "done";
  document.getElementById("action-summary").textContent = `${action.kind} ${action.target}: ${outcome}`;
  document.getElementById("action-lines").textContent = action.lines.join("\n");
}

function fillSelect(select, values) {
  const current = [...select.options].map((o) => o.value);
  if (current.join() === values.join()) return;
  const chosen = select.value;
  select.replaceChildren(...values.map((v) => el("option", { value: v, text: v })));
  if (values.includes(chosen)) select.value = chosen;
}

function keepingFocus(render) {
  const focused = document.activeElement;
  const service = focused && focused.classList.contains("scale-count") ? focused.dataset.service : null;
  render();
  if (service) document.querySelector(`input.scale-count[data-service="${CSS.escape(service)}"]`)?.focus();
}

async function refresh() {
  let data;
  try {
    data = await getJson(apiPath());
  } catch (error) {
    showProblem(error.message);
    return;
  }
  showProblem(data.problems.join("; "));
  keepingFocus(() => document.getElementById("services").replaceChildren(...data.services.map(serviceBlock)));
  renderAction(data.action);
  const envSelect = document.getElementById("env-service");
  const hadService = envSelect.value;
  fillSelect(envSelect, data.services.map((s) => s.name));
  if (!hadService && envSelect.value) loadEnvironment();
  const relays = data.services.filter((s) => s.type === "smtp").map((s) => s.name);
  document.getElementById("mail-section").hidden = !relays.length;
  fillSelect(document.getElementById("mail-service"), relays);
  if (relays.length) loadMail();
  const instances = data.services.flatMap((s) => s.instances.map((i) => i.label));
  fillSelect(document.getElementById("log-instance"), instances);
  if (!followed && instances.length) followLogs(instances[0]);
}

async function act(url, body) {
  try {
    await post(url, body);
  } catch (error) {
    showProblem(error.message);
  }
  refresh();
}

// environment

function variableRow(variable, service) {
  const value = el("td", { class: "value" });
  if (variable.secret) {
    value.append(el("span", { class: "masked", text: "••••••••" }), " ");
    value.append(el("button", {
      class: "reveal", text: "reveal",
      onclick: async () => {
        try {
          const data = await post(apiPath("services", service, "environment", "reveal"), { name: variable.name });
          value.replaceChildren(el("code", { class: "revealed", text: data.value }));
        } catch (error) {
          showProblem(error.message);
        }
      },
    }));
  } else {
    value.append(el("code", { text: String(variable.value) }));
  }
  return el("tr", { "data-variable": variable.name }, el("th", { text: variable.name }), value);
}

async function loadEnvironment() {
  const service = document.getElementById("env-service").value;
  const body = document.querySelector("#environment tbody");
  try {
    const data = await getJson(apiPath("services", service, "environment"));
    body.replaceChildren(...data.variables.map((v) => variableRow(v, service)));
  } catch (error) {
    body.replaceChildren(el("tr", {}, el("td", { class: "problem", text: error.message })));
  }
}

// mail kept by the smtp services

function mailRow(message) {
  return el(
    "tr", { "data-key": message.key },
    ...[message.kept_at, message.sender, message.recipients, message.subject].map((t) => el("td", { text: t })),
  );
}

async function loadMail() {
  const service = document.getElementById("mail-service").value;
  const body = document.querySelector("#mail tbody");
  try {
    const data = await getJson(apiPath("services", service, "mail"));
    const rows = data.messages.length
      ? data.messages.map(mailRow)
      : [el("tr", {}, el("td", { class: "muted", colspan: "4", text: "no mail yet" }))];
    body.replaceChildren(...rows);
  } catch (error) {
    body.replaceChildren(el("tr", {}, el("td", { class: "problem", colspan: "4", text: error.message })));
  }
}

// logs

function followLogs(instance) {
  if (logSource) logSource.close();
  followed = instance;
  document.getElementById("log-instance").value = instance;
  const pane = document.getElementById("log-lines");
  const state = document.getElementById("log-state");
  logSource = new EventSource(apiPath("instances", instance, "logs", "stream"));
  logSource.addEventListener("reset", () => {
    pane.textContent = "";
    state.textContent = "following";
  });
  logSource.addEventListener("line", (e) => {
    const atBottom = pane.scrollTop + pane.clientHeight >= pane.scrollHeight - 4;
    pane.append(JSON.parse(e.data) + "\n");
    while (pane.childNodes.length > MAX_LOG_LINES) pane.firstChild.remove();
    if (atBottom) pane.scrollTop = pane.scrollHeight;
  });
  for (const kind of ["end", "problem"]) {
    logSource.addEventListener(kind, (e) => { state.textContent = JSON.parse(e.data) + " (reconnecting)"; });
  }
}

function startApplicationPage() {
  document.getElementById("env-service").addEventListener("change", loadEnvironment);
  document.getElementById("log-instance").addEventListener("change", (e) => followLogs(e.target.value));
  document.getElementById("mail-service").addEventListener("change", loadMail);
  refresh();
  setInterval(refresh, REFRESH_MS);
}

if (document.body.dataset.page === "app") startApplicationPage();
