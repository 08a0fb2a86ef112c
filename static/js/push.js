// The notifications page: turn Web Push on or off for this device. No inline script (CSP);
// every sentence shown comes from the page's data- attributes (translated there).
(() => {
  "use strict";
  const box = document.getElementById("push-device");
  if (!box) return;
  const status = document.getElementById("push-status");
  const onButton = document.getElementById("push-on");
  const offButton = document.getElementById("push-off");
  const say = (key) => { status.textContent = box.dataset[key] || ""; };
  const csrf = () => {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  };
  const postJson = (url, body) => fetch(url, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
    body: JSON.stringify(body),
  });
  const keyBytes = (base64url) => {
    const padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  };
  const supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  function show(subscribed) {
    onButton.hidden = subscribed;
    offButton.hidden = !subscribed;
    say(subscribed ? "textOn" : "textOff");
  }
  if (!supported) { say("textUnsupported"); return; }
  const ready = navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(() => navigator.serviceWorker.ready);
  ready.then((reg) => reg.pushManager.getSubscription()).then((sub) => show(Boolean(sub))).catch(() => show(false));

  onButton.addEventListener("click", async () => {
    try {
      const permission = await Notification.requestPermission();
      if (permission !== "granted") { say("textDenied"); return; }
      const reg = await ready;
      const sub = await reg.pushManager.subscribe({
        userVisibleOnly: true, applicationServerKey: keyBytes(box.dataset.vapidKey),
      });
      const response = await postJson(box.dataset.subscribeUrl, sub.toJSON());
      if (!response.ok) throw new Error(String(response.status));
      show(true);
    } catch (e) {
      say("textFailed");
    }
  });
  offButton.addEventListener("click", async () => {
    const reg = await ready;
    const sub = await reg.pushManager.getSubscription();
    if (sub) {
      await postJson(box.dataset.unsubscribeUrl, { endpoint: sub.endpoint });
      await sub.unsubscribe();
    }
    show(false);
  });
})();
