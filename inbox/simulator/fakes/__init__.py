"""One fake per provider, returned by the provider module's ``fake()``. A fake offers:

- ``API_PATH``: where its API is mounted under the simulator (``/simulator/api/<API_PATH>/``);
  providers sharing an API (WhatsApp and Messenger on Graph) share the path and the handler
- ``handle(fakes, method, path, query, headers, data) -> (status, headers, body)``: the API,
  in the provider's real wire format (``fakes`` is the ``FakeProviders`` dispatcher: its
  ``store``, ``public_base_url`` and ``prefix``)
- ``error(code="", message="")``: the provider's own error answer (injected failures)
- ``customer_id(name)``, ``before_inbound(store, name)``, ``inbound_payloads(...)``,
  ``status_payloads(...)``: the webhooks a simulated customer produces
- ``AUTHORIZE_URL_NAME`` (OAuth providers): the simulator's stand-in consent screen
"""
