"""The people behind the bot: service hours, staff sign-in, cases and the operator view."""
