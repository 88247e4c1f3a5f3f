"""What concerns the people behind the bot: service hours, and later responders and their duty."""
