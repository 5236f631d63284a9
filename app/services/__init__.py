"""Rules shared by the web app and the bot. Views and handlers call these."""
