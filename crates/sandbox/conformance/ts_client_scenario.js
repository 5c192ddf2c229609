// Conformance scenario: the official TypeScript MAX client (`@maxhub/max-bot-api` on npm) against the
// botwire-sandbox binary. Run by `cargo xtask conformance` with the binary's first stdout line in SANDBOX_INFO.
// The bot uses the client's own polling loop; a video sent from a file path goes through the client's
// resumable Content-Range upload. The test acts as a user through the control API. Exit code 0 = pass.
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Bot, Keyboard } = require('@maxhub/max-bot-api');

const info = JSON.parse(process.env.SANDBOX_INFO);
const BASE = info.max.base_url;

async function ctl(method, route, body) {
  const res = await fetch(BASE + route, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

// Waits on sandbox state; the 60 s is a hang guard only.
async function until(what, check) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function assert(cond, msg) {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}

async function main() {
  // 200 KB: the client's file stream reads it in several chunks, each one POSTed with Content-Range.
  const clip = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'botwire-')), 'clip.mp4');
  fs.writeFileSync(clip, Buffer.alloc(200_000, 7));

  const bot = new Bot(info.max.token, { clientOptions: { baseUrl: BASE } });
  const me = await bot.api.getMyInfo();
  assert(me.username === 'sandbox_bot', JSON.stringify(me));
  console.log(`get_me: ${me.first_name} (@${me.username})`);

  bot.on('bot_started', (ctx) =>
    ctx.reply(`Hi ${ctx.user.first_name}! payload=${ctx.startPayload}`, {
      attachments: [Keyboard.inlineKeyboard([[Keyboard.button.callback('Ping', 'ping')]])],
    }),
  );
  bot.on('message_created', async (ctx) => {
    if (ctx.message.body.text === 'video') {
      const video = await ctx.api.uploadVideo({ source: clip });
      await ctx.reply('here it is', { attachments: [video.toJson()] });
    } else {
      await ctx.reply(`You said: ${ctx.message.body.text}`);
    }
  });
  bot.on('message_callback', (ctx) => ctx.answerOnCallback({ notification: 'Pong!' }));
  const polling = bot.start();

  // A poll held open by the sandbox: the client's loop runs.
  await until('the first poll', async () => ((await ctl('GET', '/_sandbox/stats')).in_flight['GET /updates'] || 0) >= 1);
  const alice = await ctl('POST', '/_sandbox/users', { name: 'Alice' });
  const chat = (await ctl('POST', `/_sandbox/users/${alice.user_id}/start`, { payload: 'ref-1' })).chat_id;
  const botMessages = (n) => async () => {
    const got = (await ctl('GET', `/_sandbox/chats/${chat}/messages`)).messages;
    return got.length >= n ? got : null;
  };
  let got = await until('the greeting', botMessages(1));
  assert(got[0].body.text === 'Hi Alice! payload=ref-1', JSON.stringify(got[0]));
  console.log('bot_started -> greeting with a keyboard');

  await ctl('POST', `/_sandbox/users/${alice.user_id}/messages`, { text: 'hello' });
  got = await until('the echo', botMessages(2));
  assert(got[1].body.text === 'You said: hello', JSON.stringify(got[1]));
  console.log('message_created -> echo');

  await ctl('POST', `/_sandbox/users/${alice.user_id}/messages`, { text: 'video' });
  got = await until('the video', botMessages(3));
  const att = (got[2].body.attachments || [])[0];
  assert(att && att.type === 'video', JSON.stringify(got[2]));
  const stats = await ctl('GET', '/_sandbox/stats');
  const chunks = stats.by_route['POST /upload/{kind}/{id}'] || 0;
  assert(chunks >= 2, `expected a chunked upload, got ${chunks} upload requests`);
  console.log(`resumable upload: ${chunks} Content-Range chunks, then the video message`);

  const cb = (await ctl('POST', `/_sandbox/users/${alice.user_id}/callbacks`, {
    message_id: got[0].body.mid,
    payload: 'ping',
  })).callback_id;
  const state = await until('the answer', async () => {
    const s = await ctl('GET', `/_sandbox/callbacks/${cb}`);
    return s.answers >= 1 ? s : null;
  });
  assert(JSON.stringify(state.notifications) === '["Pong!"]', JSON.stringify(state));
  console.log('message_callback -> answer with a notification');

  const final = await ctl('GET', '/_sandbox/stats');
  const bad = Object.keys(final.by_status).filter((s) => s !== '200' && s !== '429');
  assert(bad.length === 0, `the client got error answers: ${JSON.stringify(final.by_status)}`);
  bot.stop();
  await Promise.race([polling, new Promise((r) => setTimeout(r, 1000))]);
  console.log('conformance: @maxhub/max-bot-api passed');
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`conformance: @maxhub/max-bot-api FAILED: ${e && e.stack ? e.stack : e}`);
    process.exit(1);
  },
);
