"""Payment providers behind one interface.

``start(request, order)`` is called when an order is created and returns what the
client needs to pay (``{"provider", ...}``); ``confirm(request, order, body)`` is the
buyer's "I paid" call and returns ``"paid"``, ``"failed"`` or ``"pending"``;
``refund(request, order, amount, key)`` refunds through the provider and returns its
reference.

* ``test``: development and demos (seed 002's payment simulation): the confirm body's
  ``outcome`` is ``success`` (default), ``failure`` or ``delay`` (stays pending).
* ``stripe``: PaymentIntents through the ``stripe`` package (``StripeClient``); the
  webhook (``views.stripe_webhook``) is the source of truth, the confirm call only asks
  Stripe for the intent's status. Keys: ``makeplus.billetterie.stripe.secret_key``,
  ``…stripe.webhook_secret``, ``…stripe.publishable_key`` (production.ini reads them
  from the environment).
* ``onsite``: pay at the cash desk; the order stays pending (held
  ``makeplus.billetterie.onsite_hold_hours``) until a caisse sale or staff completes it.
"""
from __future__ import annotations

import decimal
import logging

from makeplus_core.plugin_api import Conflict, DomainError, Invalid

from .services import setting

log = logging.getLogger(__name__)

# ISO 4217 currencies Stripe counts without minor units.
ZERO_DECIMAL = {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV",
                "XAF", "XOF", "XPF"}


class ProviderUnavailable(DomainError):
    """The payment provider refused or could not be reached (502)."""

    status = 502
    code = "payment_provider_unavailable"


class WebhookNotConfigured(DomainError):
    status = 404
    code = "not_configured"


def minor_units(amount, currency: str) -> int:
    amount = decimal.Decimal(amount)
    return int(amount if currency.upper() in ZERO_DECIMAL else (amount * 100).quantize(decimal.Decimal("1")))


def from_minor(value: int, currency: str) -> decimal.Decimal:
    value = decimal.Decimal(int(value))
    return value if currency.upper() in ZERO_DECIMAL else (value / 100).quantize(decimal.Decimal("0.01"))


class TestProvider:
    name = "test"

    def start(self, request, order):
        return {"provider": self.name, "outcomes": ["success", "failure", "delay"]}

    def confirm(self, request, order, body):
        outcome = body.get("outcome", "success")
        if outcome not in ("success", "failure", "delay"):
            raise Invalid("outcome: success, failure or delay", field="outcome")
        return {"success": "paid", "failure": "failed", "delay": "pending"}[outcome]

    def refund(self, request, order, amount, key):
        return f"test-refund-{key}"


class OnsiteProvider:
    name = "onsite"

    def start(self, request, order):
        return {"provider": self.name, "pay_at": "cash desk", "reference": str(order.id),
                "hold_until": order.expires_at}

    def confirm(self, request, order, body):
        return "pending"  # only the cash desk (or staff) completes an on-site order

    def refund(self, request, order, amount, key):
        return None  # handed back at the desk; the refund row keeps the reason


class StripeProvider:
    name = "stripe"

    def client(self, request):
        import stripe

        key = setting(request.registry.settings, "stripe.secret_key")
        if not key:  # enabled_providers() leaves Stripe out without a key: not reached
            raise Invalid("provider: Stripe is not configured (makeplus.billetterie.stripe.secret_key)",
                          field="provider")
        http_client = request.registry.get("billetterie.stripe_http_client")  # tests: recorded responses
        return stripe.StripeClient(key, http_client=http_client, max_network_retries=2)

    def _call(self, fn, *args, **kwargs):
        import stripe

        try:
            return fn(*args, **kwargs)
        except stripe.StripeError as exc:
            log.warning("stripe error: %s", exc)
            raise ProviderUnavailable(f"Stripe refused the request: {exc.user_message or exc.code or 'error'}",
                                      field="provider") from None

    def start(self, request, order):
        client = self.client(request)
        intent = self._call(client.payment_intents.create, params={
            "amount": minor_units(order.total, order.currency), "currency": order.currency.lower(),
            "automatic_payment_methods": {"enabled": True}, "receipt_email": order.buyer_email,
            "metadata": {"order_id": str(order.id), "event_id": str(order.event_id), "kind": order.kind},
        }, options={"idempotency_key": f"makeplus-order-{order.id}"})
        order.provider_ref = intent.id
        return {"provider": self.name, "payment_intent": intent.id, "client_secret": intent.client_secret,
                "publishable_key": setting(request.registry.settings, "stripe.publishable_key") or None}

    def confirm(self, request, order, body):
        if not order.provider_ref:
            raise Conflict("This order has no payment intent", field="order")
        intent = self._call(self.client(request).payment_intents.retrieve, order.provider_ref)
        if intent.status == "succeeded":
            if from_minor(intent.amount_received, order.currency) < order.total:
                raise Conflict("Stripe received less than the order total", field="order")
            return "paid"
        if intent.status == "canceled":
            return "failed"
        return "pending"

    def refund(self, request, order, amount, key):
        if not order.provider_ref:
            raise Conflict("This order has no payment intent to refund", field="order")
        refund = self._call(self.client(request).refunds.create, params={
            "payment_intent": order.provider_ref, "amount": minor_units(amount, order.currency),
            "metadata": {"order_id": str(order.id)}}, options={"idempotency_key": f"makeplus-refund-{key}"})
        return refund.id


PROVIDERS = {"test": TestProvider(), "onsite": OnsiteProvider(), "stripe": StripeProvider()}


def get(name: str):
    return PROVIDERS[name]


def verify_stripe_webhook(settings, payload: bytes, header: str | None) -> dict:
    """The verified event (a dict) of a Stripe webhook call; raises ``Invalid`` (400)."""
    import json

    import stripe

    secret = setting(settings, "stripe.webhook_secret")
    if not secret:
        raise WebhookNotConfigured("Stripe webhooks are not configured on this server "
                                   "(makeplus.billetterie.stripe.webhook_secret)")
    if not header:
        raise Invalid("Stripe-Signature: header required", field="Stripe-Signature")
    try:
        stripe.WebhookSignature.verify_header(payload.decode("utf-8"), header, secret,
                                              tolerance=int(setting(settings, "stripe.tolerance") or 300))
        event = json.loads(payload)
    except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError):
        raise Invalid("Stripe-Signature: signature verification failed", field="Stripe-Signature") from None
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
        raise Invalid("body: not a Stripe event", field="body")
    return event
