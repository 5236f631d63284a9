"""Development tools shared by `flask bot-sandbox`, the tests and the benches.

local_api: a fake Telegram Bot API server with fault injection, and a simulated resident;
worker_process: the real bot worker process pointed at it;
sandbox: the `flask bot-sandbox` chat (app/cli.py imports it only when the command runs);
spreadsheets: client files (xlsx, CSV) for the import.

Neither the web app nor the bot worker imports this package.
"""
