"""Conformance scenario: the third-party Python client `maxapi` (PyPI) against the botwire-sandbox binary.

Run by `cargo xtask conformance`, which starts the binary and passes its first stdout line in
SANDBOX_INFO. The bot is written the way maxapi's README writes bots (Dispatcher, decorators, its own long-polling
loop with skip_updates=True, which needs a running clock); the test acts as a user through the sandbox's HTTP
control API and checks what the sandbox holds. Exit code 0 = pass.
"""

import asyncio
import json
import os
import sys
import urllib.request

from maxapi import Bot, Dispatcher
from maxapi.types import BotStarted, CallbackButton, MessageCallback, MessageCreated
from maxapi.utils.inline_keyboard import InlineKeyboardBuilder

INFO = json.loads(os.environ["SANDBOX_INFO"])
BASE = INFO["max"]["base_url"]
TOKEN = INFO["max"]["token"]


def control(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read() or b"null")


async def ctl(method, path, body=None):
    return await asyncio.to_thread(control, method, path, body)


async def until(what, check, timeout=60.0):
    """Waits on sandbox state (a hang guard only: each step takes milliseconds)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


bot = Bot(TOKEN)
bot.set_api_url(BASE)
dp = Dispatcher()


@dp.bot_started()
async def on_start(event: BotStarted):
    kb = InlineKeyboardBuilder()
    kb.row(CallbackButton(text="Ping", payload="ping"))
    await event.bot.send_message(
        chat_id=event.chat_id,
        text=f"Hi {event.user.first_name}! payload={event.payload}",
        attachments=[kb.as_markup()],
    )


@dp.message_created()
async def on_message(event: MessageCreated):
    await event.message.answer(f"You said: {event.message.body.text}")


@dp.message_callback()
async def on_callback(event: MessageCallback):
    await event.answer(notification="Pong!")


async def main():
    me = await bot.get_me()
    assert me.username == "sandbox_bot", me
    print(f"get_me: {me.first_name} (@{me.username})")

    polling = asyncio.create_task(dp.start_polling(bot, skip_updates=True))

    async def polls():
        stats = await ctl("GET", "/_sandbox/stats")
        return stats["in_flight"].get("GET /updates", 0) >= 1

    # A poll held open by the sandbox: the loop runs, and skip_updates' "now" is behind us.
    await until("the client's first poll", polls)

    alice = await ctl("POST", "/_sandbox/users", {"name": "Alice", "last_name": "Smith"})
    uid = alice["user_id"]
    chat = (await ctl("POST", f"/_sandbox/users/{uid}/start", {"payload": "ref-1"}))["chat_id"]

    async def bot_messages(n):
        async def check():
            got = (await ctl("GET", f"/_sandbox/chats/{chat}/messages"))["messages"]
            return got if len(got) >= n else None

        return check

    got = await until("the greeting", await bot_messages(1))
    greeting = got[0]
    assert greeting["body"]["text"] == "Hi Alice! payload=ref-1", greeting
    print("bot_started -> greeting with a keyboard")

    await ctl("POST", f"/_sandbox/users/{uid}/messages", {"text": "hello"})
    got = await until("the echo", await bot_messages(2))
    assert got[1]["body"]["text"] == "You said: hello", got[1]
    print("message_created -> echo")

    pressed = await ctl(
        "POST",
        f"/_sandbox/users/{uid}/callbacks",
        {"message_id": greeting["body"]["mid"], "payload": "ping"},
    )
    cb = pressed["callback_id"]

    async def answered():
        state = await ctl("GET", f"/_sandbox/callbacks/{cb}")
        return state if state["answers"] >= 1 else None

    state = await until("the callback answer", answered)
    assert state["notifications"] == ["Pong!"], state
    print("message_callback -> answer with a notification")

    stats = await ctl("GET", "/_sandbox/stats")
    assert stats["pending_updates"] <= 1, stats
    # 429 is allowed: limits are on, as on the platform (maxapi re-polls at once after a batch, faster than
    # GET /updates' 2/s); any other error means the client and the sandbox disagree on a shape.
    bad = {s: n for s, n in stats["by_status"].items() if s not in ("200", "429")}
    assert not bad, f"the client got error answers: {stats['by_status']}"
    print(f"sandbox stats: {json.dumps(stats['by_route'], sort_keys=True)} statuses {stats['by_status']}")

    # stop_polling waits for the held long poll to end; a raw update ends it now instead of after 30 s.
    await asyncio.gather(
        dp.stop_polling(),
        ctl("POST", "/_sandbox/updates", {"update_type": "wake_up", "timestamp": 0}),
    )
    polling.cancel()
    try:
        await polling
    except (asyncio.CancelledError, Exception):
        pass
    await bot.close_session()
    print("conformance: maxapi passed")


if __name__ == "__main__":
    try:
        asyncio.run(asyncio.wait_for(main(), timeout=120))
    except Exception as e:  # noqa: BLE001 - report any failure as the exit code
        print(f"conformance: maxapi FAILED: {e!r}", file=sys.stderr)
        sys.exit(1)
