{% load static %}// Parley's service worker. It caches the offline page and static assets only: never a
// conversation, a message or anything else a signed-in page shows.
"use strict";
const CACHE = "parley-static-{{ cache_version }}";
const OFFLINE_URL = "{% url 'pwa_offline' %}";
const ASSETS = [OFFLINE_URL{% for url in asset_urls %}, "{{ url }}"{% endfor %}];
const STATIC_PREFIX = "{% get_static_prefix %}";

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(ASSETS)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("parley-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    // Pages always come from the network; the offline page only when there is none.
    event.respondWith(fetch(request).catch(() => caches.match(OFFLINE_URL)));
    return;
  }
  if (url.pathname.startsWith(STATIC_PREFIX)) {
    event.respondWith(
      caches.match(request).then((hit) => hit || fetch(request).then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(request, copy));
        }
        return response;
      })),
    );
  }
  // Everything else (partials, JSON, media): straight to the network, never cached.
});

self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {}; }
  const title = data.title || "Parley";
  event.waitUntil(self.registration.showNotification(title, {
    body: data.body || "",
    tag: data.tag,
    renotify: Boolean(data.tag),
    icon: "{% static 'icons/parley-192.png' %}",
    badge: "{% static 'icons/parley-192.png' %}",
    data: { url: data.url || "/" },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL(event.notification.data && event.notification.data.url || "/", self.location.origin).href;
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      for (const client of windows) {
        if (client.url === target && "focus" in client) return client.focus();
      }
      const any = windows.find((c) => "navigate" in c);
      if (any) return any.navigate(target).then((c) => (c ? c.focus() : self.clients.openWindow(target)));
      return self.clients.openWindow(target);
    }),
  );
});
