"""In-app inbox and email delivery."""
