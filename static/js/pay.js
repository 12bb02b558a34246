// The card page: Stripe.js collects the card in the browser and tokenises it with Stripe; the
// platform only receives the token, confirms the PaymentIntent with it and, when the bank asks
// for 3-D Secure, lets Stripe.js finish it with confirmCardPayment. Card data never reaches
// the platform. The deal becomes funded when Stripe's signed webhook arrives.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const root = document.querySelector("[data-stripe-key]");
  if (!root || typeof Stripe === "undefined") {
    return;
  }
  const stripe = Stripe(root.dataset.stripeKey);
  const card = stripe.elements().create("card");
  card.mount("#card-element");
  const form = document.getElementById("card-form");
  const message = document.getElementById("card-message");
  const button = form.querySelector("[type=submit]");

  const fail = (text) => {
    message.textContent = text || root.dataset.failText;
    message.hidden = false;
    button.disabled = false;
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    message.hidden = true;
    const { token, error } = await stripe.createToken(card);
    if (error || !token) {
      fail(error && error.message);
      return;
    }
    const response = await fetch(root.dataset.confirmUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": root.dataset.csrf },
      body: JSON.stringify({ token: token.id, card: token.card.id }),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      fail(body.error && body.error.message);
      return;
    }
    if (body.status === "requires_action") {
      const result = await stripe.confirmCardPayment(root.dataset.clientSecret);
      if (result.error) {
        fail(result.error.message);
        return;
      }
    } else if (body.status !== "succeeded" && body.status !== "processing") {
      fail();
      return;
    }
    window.location.assign(root.dataset.doneUrl);
  });
});
