// tienda's only script: forms that talk to the JSON API, and the chat socket.
// Loaded as a file (the Content-Security-Policy forbids inline scripts).
"use strict";

// The page's own words for what the script says (the layout's <body>).
function said(name) {
  return document.body.dataset[name] || "";
}

function showProblem(form, problem) {
  const box = form.querySelector(".form-error");
  let text = problem.detail || said("failed");
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  if (problem.errors) {
    for (const [field, messages] of Object.entries(problem.errors)) {
      text += "\n" + field + ": " + messages.join(", ");
      const input = form.elements[field];
      if (input && input.setAttribute) input.setAttribute("aria-invalid", "true");
    }
  }
  text += "\n(" + said("errorId") + " " + (problem.id || "?") + ")";
  if (box) {
    box.textContent = text;
    box.dataset.errorId = problem.id || "";
    box.hidden = false;
  } else {
    alert(text);
  }
}

function formBody(form) {
  const body = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled) continue;
    if (el.dataset.type === "integer" || el.type === "number") {
      if (el.value === "") continue;
      const n = Number(el.value);
      body[el.name] = Number.isFinite(n) ? n : el.value;
    } else if (el.type === "checkbox") {
      body[el.name] = el.checked;
    } else if (el.type === "radio") {
      if (el.checked) body[el.name] = el.value;
    } else if (el.name === "to" && el.value === "") {
      continue;
    } else {
      body[el.name] = el.value;
    }
  }
  return body;
}

async function submitApiForm(event) {
  const form = event.target.closest("form[data-api]");
  if (!form) return;
  event.preventDefault();
  if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
  const method = (form.dataset.method || form.getAttribute("method") || "POST").toUpperCase();
  let body = formBody(form);
  let url = form.dataset.api;
  if (form.querySelector("#variants-editor")) addVariants(form, body);
  if (form.dataset.shippingEditor !== undefined) {
    // A new method's id goes in the URL, its zones in the body.
    if (form.dataset.idField) url += encodeURIComponent(body[form.dataset.idField] || "");
    delete body.id;
    body.zones = editedZones(form);
  }
  // A form of parts that the API takes as one object (the address).
  if (form.dataset.wrap) body = { [form.dataset.wrap]: body };
  const init = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (method !== "DELETE" && Object.keys(body).length > 0) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const box = form.querySelector(".form-error");
  if (box) box.hidden = true;
  let response = await fetch(url, init);
  let data = null;
  try { data = await response.json(); } catch (_) { data = null; }
  if (response.ok && form.dataset.thenLogin) {
    // A new account logs straight in.
    response = await fetch("/auth/login", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ email: body.email, password: body.password }),
    });
    try { data = await response.json(); } catch (_) { data = null; }
  }
  if (!response.ok) {
    showProblem(form, data || { detail: response.status + " " + response.statusText });
    return;
  }
  if (form.dataset.done) {
    const done = form.querySelector(".form-done");
    if (done) { done.textContent = form.dataset.done; done.hidden = false; }
    return;
  }
  if (form.dataset.redirect === "location" && response.headers.get("Location")) {
    // The answer names the page to go to (a guest's order link).
    location.href = response.headers.get("Location");
  } else if (form.dataset.redirect) {
    location.href = form.dataset.redirect.replace(/\{(\w+)\}/g, (_, k) => (data && data[k]) || "");
  } else {
    location.reload();
  }
}

document.addEventListener("submit", submitApiForm);

// ---- chat ----
function renderMessage(list, m) {
  if (list.querySelector('[data-id="' + m.id + '"]')) return;
  const li = document.createElement("li");
  li.className = "message " + m.type + (m.mine ? " mine" : "");
  li.dataset.id = m.id;
  const author = document.createElement("span");
  author.className = "author";
  author.textContent = m.author;
  li.appendChild(author);
  if (m.email) {
    const email = document.createElement("span");
    email.className = "email";
    email.textContent = " <" + m.email + ">";
    li.appendChild(email);
  }
  if (m.to) {
    const to = document.createElement("span");
    to.className = "to";
    to.textContent = " → " + m.to;
    li.appendChild(to);
  }
  const time = document.createElement("time");
  time.textContent = " " + m.created_at;
  li.appendChild(time);
  const body = document.createElement("p");
  body.className = "body";
  body.textContent = m.body;
  li.appendChild(body);
  list.appendChild(li);
  list.scrollTop = list.scrollHeight;
}

function addCustomerOption(select, email) {
  if (!select || !email) return;
  for (const o of select.options) if (o.value === email) return;
  const option = document.createElement("option");
  option.value = email;
  option.textContent = email;
  select.appendChild(option);
}

function startChat() {
  const root = document.getElementById("chat");
  if (!root) return;
  const list = document.getElementById("messages");
  const form = document.getElementById("chat-form");
  const error = document.getElementById("chat-error");
  const select = document.getElementById("chat-to");
  const channel = root.dataset.channel;
  const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host +
    "/chat/ws" + (channel ? "?channel=" + encodeURIComponent(channel) : "");
  let socket;
  function connect() {
    socket = new WebSocket(url);
    socket.onopen = () => { root.dataset.connected = "true"; };
    socket.onmessage = (event) => {
      const frame = JSON.parse(event.data);
      if (frame.type === "message") {
        renderMessage(list, frame.message);
        if (frame.message.type === "customer") addCustomerOption(select, frame.message.email);
      } else if (frame.type === "error") {
        error.textContent = frame.detail + " (" + said("errorId") + " " + frame.id + ")";
        error.hidden = false;
      }
    };
    socket.onclose = (event) => {
      root.dataset.connected = "false";
      if (event.code === 4401) {
        // Logged out elsewhere, or the account was disabled: say so, then
        // show the login, as a reload of this page would.
        error.textContent = said("sessionEnded");
        error.hidden = false;
        setTimeout(() => location.assign("/"), 1500);
        return;
      }
      setTimeout(connect, 2000);
    };
  }
  connect();
  list.scrollTop = list.scrollHeight;
  const older = document.getElementById("chat-older");
  if (older) {
    older.addEventListener("click", async () => {
      const params = new URLSearchParams({ before: older.dataset.before });
      if (channel) params.set("channel", channel);
      const response = await fetch("/messages?" + params, { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const page = await response.json();
      const first = list.firstElementChild;
      const holder = document.createElement("ol");
      for (const m of page.items) renderMessage(holder, m);
      for (const li of Array.from(holder.children)) list.insertBefore(li, first);
      if (page.next_before) older.dataset.before = page.next_before;
      else older.parentElement.remove();
    });
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = form.elements.body.value;
    const frame = { body };
    if (select && select.value) frame.to = select.value;
    error.hidden = true;
    socket.send(JSON.stringify(frame));
    form.elements.body.value = "";
  });
}

document.addEventListener("DOMContentLoaded", startChat);

// Search box suggestions: product names as links while the shopper types
// (the box is a plain GET form without JavaScript).
function startSuggestions() {
  const input = document.getElementById("search-q");
  const list = document.getElementById("search-suggestions");
  if (!input || !list) return;
  let asked = 0;
  function close() {
    list.hidden = true;
    list.replaceChildren();
    input.setAttribute("aria-expanded", "false");
  }
  input.addEventListener("input", async () => {
    const text = input.value.trim();
    const ticket = ++asked;
    if (text.length < 2) return close();
    try {
      const r = await fetch("/search/suggest?q=" + encodeURIComponent(text), { headers: { Accept: "application/json" } });
      if (!r.ok || ticket !== asked) return;
      const { suggestions } = await r.json();
      if (ticket !== asked) return;
      list.replaceChildren(...suggestions.map((s) => {
        const li = document.createElement("li");
        li.setAttribute("role", "option");
        const a = document.createElement("a");
        a.href = "/products/" + encodeURIComponent(s.id);
        a.textContent = s.name;
        li.append(a);
        return li;
      }));
      list.hidden = suggestions.length === 0;
      input.setAttribute("aria-expanded", String(!list.hidden));
    } catch (_) { close(); }
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" && !list.hidden) {
      const first = list.querySelector("a");
      if (first) { e.preventDefault(); first.focus(); }
    } else if (e.key === "Escape") close();
  });
  list.addEventListener("keydown", (e) => {
    const links = [...list.querySelectorAll("a")];
    const at = links.indexOf(document.activeElement);
    if (e.key === "ArrowDown" && at < links.length - 1) { e.preventDefault(); links[at + 1].focus(); }
    else if (e.key === "ArrowUp") { e.preventDefault(); (at > 0 ? links[at - 1] : input).focus(); }
    else if (e.key === "Escape") { close(); input.focus(); }
  });
}
document.addEventListener("DOMContentLoaded", startSuggestions);

// Live stock: the product page and the cart follow their products' stock
// over server-sent events (GET /stock/events); the browser reconnects by
// itself and the server sends the current stock first on every (re)connect.
// Texts come translated from the page: data-KEY-one for 1, data-KEY for any
// other count with "#" in place of the number.
const stockText = (el, key, n) =>
  n === 1 && el.dataset[key + "One"] ? el.dataset[key + "One"] : (el.dataset[key] || "").replace("#", String(n));

// The product page's stock line and add-to-cart form, for `n` units of the
// chosen variant.
function showStockOnPage(stock, n) {
  const low = Number(stock.dataset.lowStock) || 0;
  stock.textContent = n <= 0 ? stock.dataset.soldOut : stockText(stock, n <= low ? "left" : "inStock", n);
  stock.classList.toggle("soldout", n <= 0);
  const form = document.getElementById("add-to-cart");
  if (!form) return;
  const quantity = form.querySelector("#quantity");
  const button = form.querySelector("button[type=submit]");
  const max = Math.min(n, Number(stock.dataset.lineMax) || n);
  if (quantity) {
    quantity.max = String(Math.max(max, 1));
    quantity.disabled = n <= 0;
    if (n > 0 && Number(quantity.value) > max) quantity.value = String(max);
  }
  if (button) button.disabled = n <= 0;
}

// Variants: the price, stock and photo follow the chosen one. Without
// JavaScript the radio buttons are a plain form field.
function chosenVariant() {
  return document.querySelector("#variants input[name=variant_id]:checked");
}

function showVariant(choice) {
  const stock = document.querySelector("p[data-live-stock]");
  if (!choice || !stock) return;
  document.getElementById("price").textContent = choice.dataset.price;
  showStockOnPage(stock, Number(choice.dataset.stock) || 0);
  const photo = document.getElementById("product-photo");
  if (photo && choice.dataset.photo) {
    photo.src = choice.dataset.photo;
    if (choice.dataset.photoSrcset) photo.srcset = choice.dataset.photoSrcset;
  }
}

function startVariants() {
  const picker = document.getElementById("variants");
  if (!picker) return;
  picker.addEventListener("change", () => showVariant(chosenVariant()));
}
document.addEventListener("DOMContentLoaded", startVariants);

function startLiveStock() {
  const stock = document.querySelector("p[data-live-stock]");
  const cart = document.getElementById("cart-lines");
  const rows = cart ? [...cart.querySelectorAll("tr[data-live-stock]")] : [];
  const ids = stock ? [stock.dataset.liveStock] : rows.map((r) => r.dataset.liveStock);
  if (ids.length === 0 || !window.EventSource) return;
  function showOnPage(level) {
    const picker = document.getElementById("variants");
    if (picker) {
      for (const v of level.variants || []) {
        const choice = picker.querySelector("input[value='" + CSS.escape(v.variant_id) + "']");
        if (!choice) continue;
        choice.dataset.stock = String(v.stock);
        if (v.stock <= 0 && !choice.checked) choice.disabled = true;
        if (v.stock > 0) choice.disabled = false;
        choice.closest("label").classList.toggle("unavailable", v.stock <= 0);
      }
      const chosen = chosenVariant();
      if (chosen) showStockOnPage(stock, Number(chosen.dataset.stock) || 0);
      return;
    }
    showStockOnPage(stock, level.stock);
  }
  function showInCart(level) {
    for (const row of rows) {
      if (row.dataset.liveStock !== level.product_id) continue;
      // A variant no longer sold is not among the levels: none left.
      const variant = (level.variants || []).find((v) => v.variant_id === row.dataset.variantId);
      const n = variant ? variant.stock : 0;
      const available = n >= Number(row.dataset.quantity);
      row.classList.toggle("unavailable", !available);
      const note = row.querySelector("em.warn");
      if (note) {
        note.textContent = available ? "" : stockText(cart, "unavailable", n);
        note.hidden = available;
      }
    }
    // The order can be placed once every line is available and an address is set.
    const checkout = document.getElementById("checkout");
    if (checkout) {
      const ready = !cart.querySelector("tr[data-product-id].unavailable");
      checkout.disabled = !(ready && cart.dataset.addressSet === "true");
    }
  }
  const source = new EventSource("/stock/events?ids=" + ids.map(encodeURIComponent).join(","));
  source.addEventListener("stock", (event) => {
    let level;
    try { level = JSON.parse(event.data); } catch (_) { return; }
    if (stock && level.product_id === stock.dataset.liveStock) showOnPage(level);
    if (cart) showInCart(level);
    document.documentElement.dataset.liveStock = "connected";
  });
}
document.addEventListener("DOMContentLoaded", startLiveStock);

// The admin's product editor: options (name and comma-separated values) and
// one row per variant sold. The rows' inputs have no names, so the form's
// plain fields go as they are and this adds `options` and `variants`.
function editedOptions(form) {
  const options = [];
  for (const row of form.querySelectorAll(".option-row")) {
    const name = row.querySelector("[data-option-name]").value.trim();
    const values = row.querySelector("[data-option-values]").value.split(",").map((v) => v.trim()).filter(Boolean);
    if (name) options.push({ name, values });
  }
  return options;
}

function addVariants(form, body) {
  body.options = editedOptions(form);
  if (body.options.length === 0) {
    body.variants = [];
    return;
  }
  delete body.stock;
  body.variants = [...form.querySelectorAll("#variant-rows tr")].map((row) => {
    const field = (name) => row.querySelector("[data-field=" + name + "]");
    const variant = { options: JSON.parse(row.dataset.options || "{}"), stock: Number(field("stock").value) || 0 };
    if (row.dataset.variantId) variant.id = row.dataset.variantId;
    if (field("sku").value.trim()) variant.sku = field("sku").value.trim();
    if (field("price").value !== "") variant.price = Number(field("price").value);
    if (field("photo_id").value) variant.photo_id = field("photo_id").value;
    return variant;
  });
}

function combinations(options) {
  return options.reduce((done, option) =>
    done.flatMap((c) => option.values.map((v) => ({ ...c, [option.name]: v }))), [{}]);
}

function startVariantEditor() {
  const form = document.getElementById("edit-product");
  const rows = document.getElementById("variant-rows");
  const make = document.getElementById("make-variants");
  if (!form || !rows || !make) return;
  rows.addEventListener("click", (event) => {
    const button = event.target.closest("[data-remove-variant]");
    if (button) button.closest("tr").remove();
  });
  make.addEventListener("click", () => {
    const options = editedOptions(form);
    const same = (a, b) => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());
    const existing = [...rows.querySelectorAll("tr")];
    const template = existing[0];
    const keep = [];
    for (const values of options.length ? combinations(options) : []) {
      let row = existing.find((r) => same(JSON.parse(r.dataset.options || "{}"), values));
      if (!row) {
        row = template ? template.cloneNode(true) : null;
        if (!row) break;
        delete row.dataset.variantId;
        row.querySelector("[data-field=sku]").value = "";
        row.querySelector("[data-field=price]").value = rows.dataset.defaultPrice;
        row.querySelector("[data-field=stock]").value = "0";
        row.querySelector("[data-field=photo_id]").value = "";
      }
      row.dataset.options = JSON.stringify(values);
      const title = options.map((o) => values[o.name]).join(" / ");
      row.querySelector("th").textContent = title;
      for (const input of row.querySelectorAll("[data-label]")) {
        input.setAttribute("aria-label", input.dataset.label + " " + title);
      }
      keep.push(row);
    }
    rows.replaceChildren(...keep);
    document.getElementById("plain-stock").hidden = options.length > 0;
  });
}
document.addEventListener("DOMContentLoaded", startVariantEditor);

// The order page's card payment: Stripe.js confirms the PaymentIntent in
// the browser; the order turns paid when Stripe's webhook reaches the shop,
// so the page asks for the order until it has (or a minute has passed).
async function waitForPayment() {
  for (let i = 0; i < 60; i++) {
    await new Promise((done) => setTimeout(done, 1000));
    const answer = await fetch(location.pathname + location.search, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (!answer.ok) continue;
    const order = await answer.json();
    if (order.status !== "awaiting_payment") {
      location.reload();
      return;
    }
  }
}

function startCardPayment() {
  const form = document.getElementById("card-form");
  if (!form || typeof Stripe !== "function") return;
  const stripe = Stripe(form.dataset.publishableKey);
  const card = stripe.elements().create("card");
  card.mount("#card-element");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("#pay");
    const result = document.getElementById("card-result");
    const box = form.querySelector(".form-error");
    button.disabled = true;
    box.hidden = true;
    const answer = await stripe.confirmCardPayment(form.dataset.clientSecret, {
      payment_method: { card },
    });
    const intent = answer && answer.paymentIntent;
    if (answer.error || !intent || intent.status !== "succeeded") {
      box.textContent = (answer.error && answer.error.message) || form.dataset.failedText;
      box.hidden = false;
      button.disabled = false;
      return;
    }
    result.textContent = form.dataset.paidText;
    await waitForPayment();
  });
}
document.addEventListener("DOMContentLoaded", startCardPayment);

// The shipping page's zone rows as the API takes them; blank rows (the one
// left to add a zone) are skipped.
function editedZones(form) {
  const zones = [];
  for (const row of form.querySelectorAll(".zone-row")) {
    const field = (name) => row.querySelector(`[data-zone=${name}]`).value.trim();
    const number = (name) => (field(name) === "" ? undefined : Number(field(name)));
    if (["name", "countries", "price", "free_above", "weight_bands"].every((n) => field(n) === "")) continue;
    const bands = field("weight_bands")
      .split(",")
      .map((pair) => pair.split(":").map((part) => part.trim()))
      .filter((pair) => pair[0] !== "")
      .map(([grams, price]) => ({ up_to_grams: Number(grams), price: Number(price) }));
    const zone = {
      name: field("name"),
      countries: field("countries").split(",").map((c) => c.trim()).filter((c) => c !== ""),
      weight_bands: bands,
    };
    if (number("price") !== undefined) zone.price = number("price");
    if (number("free_above") !== undefined) zone.free_above = number("free_above");
    zones.push(zone);
  }
  return zones;
}

// A signed-in page with no live connection learns its session ended (logout
// elsewhere, an admin disabling the account) when its tab comes back into
// view: one light request then, instead of a socket per open page.
(function watchSession() {
  let last = 0;
  async function check() {
    if (document.visibilityState !== "visible" || !document.getElementById("logout")) return;
    const now = Date.now();
    if (now - last < 5000) return;
    last = now;
    try {
      const response = await fetch("/auth/me", { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.status === 401) location.assign("/");
    } catch (_) { /* offline: the next look tries again */ }
  }
  document.addEventListener("visibilitychange", check);
  window.addEventListener("focus", check);
})();
