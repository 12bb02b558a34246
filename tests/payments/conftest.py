from tests.stripe_sandbox import *  # noqa: F403  (the Stripe sandbox fixtures)
