// The Callflow chat widget: <script src="https://callflow.example/widget.js" data-channel="cfw_…">
// on a shop's page shows a chat bubble that talks to the channel's flow. A page with a signed-in
// customer adds data-customer="<the shop's id>" and data-customer-signature="<hex HMAC-SHA256 of
// the id under the channel's identity secret, computed by the shop's server>", so that the
// customer lookup knows who is chatting. No dependencies and no
// requests but to the server it came from. Its look lives in a shadow root, so that the page's
// styles and the widget's leave each other alone.
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || !script.dataset.channel) return;
  var key = script.dataset.channel;
  var api = new URL(script.src).origin + '/widget/v1/channels/' + encodeURIComponent(key);
  var storeKey = 'callflow-widget:' + key;
  var customer = script.dataset.customer || '';
  var signature = script.dataset.customerSignature || '';
  // While a person has the conversation, each request for the agent's lines waits up to WAIT_S
  // seconds on the server; a failed one is tried again after RETRY_MS (a rate limit's minute
  // allows 60 requests).
  var WAIT_S = 20;
  var RETRY_MS = 3000;

  var WORDS = {
    'zh-CN': {
      title: '在线客服', open: '打开在线客服', close: '关闭', placeholder: '输入消息…',
      send: '发送', waiting: '已为您转接人工客服，请稍候…', agent: '客服', joined: '客服{agent}为您服务',
      ended: '对话已结束。', restart: '重新开始', busy: '发送太频繁，请稍后再试。',
      failed: '暂时无法连接在线客服，请稍后再试。', off: '在线客服暂不可用。'
    },
    en: {
      title: 'Chat with us', open: 'Open the chat', close: 'Close', placeholder: 'Type a message…',
      send: 'Send', waiting: 'You are waiting for an agent. Someone will be with you shortly…',
      joined: '{agent} is here to help you.',
      agent: 'Agent', ended: 'The conversation has ended.', restart: 'Start again',
      busy: 'Too many messages. Please wait a moment.',
      failed: 'The chat cannot connect right now. Please try again later.',
      off: 'The chat is not available right now.'
    }
  };
  function languageOf(tag) {
    if (!tag) return null;
    tag = tag.toLowerCase();
    if (tag.indexOf('zh') === 0) return 'zh-CN';
    if (tag.indexOf('en') === 0) return 'en';
    return null;
  }
  var lang = languageOf(script.dataset.lang) || languageOf(document.documentElement.lang);
  function t(word) { return WORDS[lang || 'zh-CN'][word]; }

  var saved = {};
  try { saved = JSON.parse(localStorage.getItem(storeKey) || '{}') || {}; } catch (e) { saved = {}; }
  function save() {
    try { localStorage.setItem(storeKey, JSON.stringify(saved)); } catch (e) { /* private mode */ }
  }

  function call(method, path, body) {
    var headers = {};
    if (saved.visitor) headers['X-Callflow-Visitor'] = saved.visitor;
    if (body) headers['Content-Type'] = 'application/json';
    return fetch(api + path, {
      method: method, headers: headers, credentials: 'include',
      body: body ? JSON.stringify(body) : undefined
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error(data.code || 'failed');
          error.code = data.code;
          throw error;
        }
        return data;
      });
    });
  }

  var host = document.createElement('div');
  host.setAttribute('data-callflow-widget', '');
  var root = host.attachShadow({ mode: 'open' });
  root.innerHTML =
    '<style>' +
    ':host{all:initial}' +
    '*{box-sizing:border-box;font-family:system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif}' +
    '.bubble{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;border:0;' +
    'background:#1677ff;color:#fff;font-size:26px;cursor:pointer;box-shadow:0 4px 12px rgba(0,0,0,.25);z-index:2147483000}' +
    '.panel{position:fixed;right:20px;bottom:88px;width:340px;max-width:calc(100vw - 40px);height:480px;' +
    'max-height:calc(100vh - 110px);display:flex;flex-direction:column;background:#fff;border-radius:12px;' +
    'box-shadow:0 8px 28px rgba(0,0,0,.25);overflow:hidden;z-index:2147483000;font-size:14px;color:#222}' +
    '.panel[hidden]{display:none}' +
    'header{display:flex;justify-content:space-between;align-items:center;padding:12px 14px;background:#1677ff;color:#fff;font-weight:600}' +
    'header button{background:none;border:0;color:#fff;font-size:20px;cursor:pointer;line-height:1}' +
    '.log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px;background:#f5f6f8}' +
    '.line{max-width:80%;padding:8px 11px;border-radius:10px;white-space:pre-wrap;word-wrap:break-word;line-height:1.45}' +
    '.bot,.agent{align-self:flex-start;background:#fff;border:1px solid #e3e5e8}' +
    '.agent{border-color:#91caff}.who{display:block;font-size:12px;color:#1677ff;margin-bottom:2px}' +
    '.visitor{align-self:flex-end;background:#1677ff;color:#fff}' +
    '.note{align-self:center;color:#666;font-size:12px;text-align:center}' +
    '.choices{display:flex;flex-wrap:wrap;gap:6px;padding:0 12px 8px;background:#f5f6f8}' +
    '.choices button,.note button{border:1px solid #1677ff;background:#fff;color:#1677ff;border-radius:16px;padding:5px 12px;cursor:pointer;font-size:13px}' +
    'form{display:flex;gap:6px;padding:10px;border-top:1px solid #e3e5e8}' +
    'input{flex:1;border:1px solid #d0d3d8;border-radius:8px;padding:8px 10px;font-size:14px;min-width:0}' +
    'form button{border:0;background:#1677ff;color:#fff;border-radius:8px;padding:0 14px;cursor:pointer;font-size:14px}' +
    'button:disabled,input:disabled{opacity:.5;cursor:default}' +
    '</style>' +
    '<button class="bubble" part="bubble" type="button">💬</button>' +
    '<section class="panel" role="dialog" hidden>' +
    '<header><span class="title"></span><button class="close" type="button">×</button></header>' +
    '<div class="log" aria-live="polite"></div><div class="choices"></div>' +
    '<form><input name="text" autocomplete="off" maxlength="2000"><button type="submit"></button></form>' +
    '</section>';
  var bubble = root.querySelector('.bubble');
  var panel = root.querySelector('.panel');
  var log = root.querySelector('.log');
  var choices = root.querySelector('.choices');
  var form = root.querySelector('form');
  var input = form.querySelector('input');
  var sendButton = form.querySelector('button');

  function label() {
    bubble.setAttribute('aria-label', t('open'));
    root.querySelector('.title').textContent = t('title');
    root.querySelector('.close').setAttribute('aria-label', t('close'));
    input.placeholder = t('placeholder');
    sendButton.textContent = t('send');
  }

  function add(kind, text) {
    var line = document.createElement('div');
    line.className = 'line ' + kind;
    line.setAttribute('data-kind', kind);
    if (kind === 'agent') {
      var who = document.createElement('span');
      who.className = 'who';
      who.textContent = t('agent');
      line.appendChild(who);
    }
    line.appendChild(document.createTextNode(text));
    log.appendChild(line);
    log.scrollTop = log.scrollHeight;
    return line;
  }
  function note(text) {
    var line = add('note', text);
    line.className = 'note';
    return line;
  }
  function failed(error) {
    if (error && /customer|identity/.test(error.code || '')) {
      console.warn('Callflow widget: the signed-in customer was refused (' + error.code + '); see the answer\'s detail');
    }
    var word = error && error.code === 'rate_limited' ? 'busy'
      : error && (error.code === 'channel_disabled' || error.code === 'not_published') ? 'off' : 'failed';
    note(t(word)).setAttribute('data-error', (error && error.code) || 'network');
    setBusy(false);
  }
  function setBusy(busy) {
    // While a person owns the conversation the visitor writes to them.
    var closed = !state || state.ended;
    input.disabled = busy || closed;
    sendButton.disabled = busy || closed;
    Array.prototype.forEach.call(choices.querySelectorAll('button'), function (b) { b.disabled = busy; });
  }

  var state = null;
  var polling = null;

  // Shows a turn's answer: the bot's lines, buttons for what it waits for, and who owns the
  // conversation now.
  function show(answer) {
    state = answer;
    answer.messages.forEach(function (text) { add('bot', text); });
    choices.textContent = '';
    answer.choices.forEach(function (choice) {
      var button = document.createElement('button');
      button.type = 'button';
      button.textContent = choice.label;
      button.addEventListener('click', function () {
        send(choice.digits ? { type: 'digits', digits: choice.digits } : { type: 'text', text: choice.label }, choice.label);
      });
      choices.appendChild(button);
    });
    if (answer.owner === 'person') waitForAgent();
    else if (answer.ended) ended();
    setBusy(false);
  }

  function ended() {
    choices.textContent = '';
    var line = note(t('ended') + ' ');
    line.setAttribute('data-ended', '');
    var again = document.createElement('button');
    again.type = 'button';
    again.textContent = t('restart');
    again.addEventListener('click', function () {
      delete saved.conversation;
      save();
      log.textContent = '';
      start();
    });
    line.appendChild(again);
  }

  // While a person owns the conversation the flow says nothing: the agent's lines (and, once
  // the agent gives the conversation back, the bot's) come as the conversation's events, read
  // from the last one seen.
  function waitForAgent() {
    if (polling) return;
    choices.textContent = '';
    note(t('waiting')).setAttribute('data-waiting', '');
    var after = null;
    var stopped = false;
    function stop() { stopped = true; polling = null; }
    // Long polling: the server answers as soon as a line is written (or after WAIT_S), and the
    // next request goes out at once; after a failure, a pause first.
    function poll() {
      if (stopped) return;
      var wait = after === null ? 0 : WAIT_S;
      call('GET', '/conversations/' + state.id + '/events?after=' + (after || 0) + '&wait=' + wait).then(function (page) {
        if (after !== null) {
          page.lines.forEach(function (line) {
            if (line.kind === 'agent') add('agent', line.text);
            else if (line.kind === 'bot') add('bot', line.text);
            else if (line.kind === 'joined') note(t('joined').replace('{agent}', line.text)).setAttribute('data-joined', '');
            else if (line.kind === 'back') { stop(); state.owner = 'bot'; setBusy(false); }
            else if (line.kind === 'ended') { stop(); state.ended = true; setBusy(false); ended(); }
          });
        }
        after = page.last_seq;
        poll();
      }).catch(function () { setTimeout(poll, RETRY_MS); });
    }
    polling = true;
    poll();
  }

  function send(event, shown) {
    if (!state) return;
    add('visitor', shown);
    setBusy(true);
    call('POST', '/conversations/' + state.id + '/messages', event).then(show, failed);
  }

  function start() {
    setBusy(true);
    var identity = customer ? { customer: customer, customer_signature: signature } : undefined;
    call('POST', '/conversations', identity).then(function (answer) {
      saved.visitor = answer.visitor_token;
      saved.conversation = answer.id;
      saved.customer = customer;
      save();
      show(answer);
      input.focus();
    }, failed);
  }

  // A conversation of this page's visitor that is still open goes on where it was: its lines
  // are read back from its events.
  function resume() {
    setBusy(true);
    Promise.all([
      call('GET', '/conversations/' + saved.conversation),
      call('GET', '/conversations/' + saved.conversation + '/events?after=0')
    ]).then(function (answers) {
      var answer = answers[0];
      if (answer.ended && answer.owner !== 'person') return start();
      answers[1].lines.forEach(function (line) {
        if (line.kind === 'joined') note(t('joined').replace('{agent}', line.text)).setAttribute('data-joined', '');
        else if (line.kind !== 'ended' && line.kind !== 'back') add(line.kind, line.text);
      });
      answer.messages = [];
      show(answer);
    }, function () {
      delete saved.conversation;
      start();
    });
  }

  var opened = false;
  bubble.addEventListener('click', function () {
    panel.hidden = !panel.hidden;
    if (!panel.hidden && !opened) {
      opened = true;
      // A conversation started as someone else (another customer signed in since) is not theirs
      // to go on with.
      if (saved.conversation && saved.visitor && (saved.customer || '') === customer) resume();
      else start();
    }
    if (!panel.hidden) input.focus();
  });
  root.querySelector('.close').addEventListener('click', function () { panel.hidden = true; });
  form.addEventListener('submit', function (submitted) {
    submitted.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = '';
    send({ type: 'text', text: text }, text);
  });

  function mount() {
    label();
    document.body.appendChild(host);
  }
  // The channel is asked first: a page it does not serve (another site, a channel switched
  // off) shows no bubble, and says why in the console. The page's language wins over the
  // channel's.
  call('GET', '').then(function (channel) {
    lang = lang || languageOf(channel.language) || 'zh-CN';
    if (document.body) mount();
    else document.addEventListener('DOMContentLoaded', mount);
  }, function (error) {
    console.warn('Callflow chat widget: this page cannot use the channel (' + (error.code || 'refused') + ')');
  });
})();
