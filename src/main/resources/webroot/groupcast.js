/*
 * groupcast.js: the browser client of groupcast (protocol v1). No build step: load it with
 *   <script src="/groupcast.js"></script>
 * and use the global Groupcast.
 *
 *   const gc = Groupcast.connect();                       // the node that served this script
 *   gc.on('state', s => ...);                             // connecting | open | disconnected | closed
 *   await gc.join('judges', msg => console.log(msg.seq, msg.from, msg.body));
 *   const ack = await gc.publish('judges', {score: 9.5});  // {type:'ack', seq[, duplicate]}
 *   gc.on('reset', ev => ...);                            // {group, epoch, seq, reason}: the stream could
 *                                                         //   not be resumed; refresh the page's state
 *   await gc.leave('judges');
 *   await gc.join('judges', onMsg, {presence: true});     // + 'presence' events: {type:'presence_join'|
 *   gc.on('presence', ev => ...);                         //   'presence_leave', group, member}
 *   const who = await gc.presence('judges');              // [{session, user, node, joinedAt}]
 *
 * It connects by WebSocket and falls back to SockJS (loaded from the node on demand) when WebSocket
 * is missing or refused. It reconnects with exponential backoff and jitter, rotating through the
 * node URLs it knows (options.urls, plus the cluster's nodes with options.discover), and re-joins
 * every group with the {epoch, seq} it last saw, so nothing is lost across a reconnect or the death
 * of a node. Duplicates are dropped by seq. When the stream cannot be resumed (its epoch changed:
 * the group's history was lost or expired) it emits 'reset' and goes on from the new stream.
 *
 * Every publish carries a key. A publish cut off by a disconnect, or answered `unavailable` (the
 * node could not reach a majority, or could not know whether it was stored), is sent again with the
 * same key, after a reconnect if need be, until options.publishRetryFor has passed: the server
 * stores a key once, so the application sees exactly one ack per publish.
 */
(function (root, factory) {
  if (typeof module === 'object' && module.exports) {
    module.exports = factory(root);
  } else {
    root.Groupcast = factory(root);
  }
}(typeof self !== 'undefined' ? self : this, function (global) {
  'use strict';

  var DEFAULTS = {
    urls: null,                 // base URLs of nodes (http[s]://host:port); default: where this script came from
    transports: ['websocket', 'sockjs'],
    sockjsTransports: null,     // e.g. ['xhr-streaming']; null lets SockJS choose
    discover: false,            // learn the other nodes from /api/nodes to fail over without a proxy
    minDelay: 250,              // ms, first reconnect delay
    maxDelay: 10000,            // ms, cap of the exponential backoff
    requestTimeout: 10000,      // ms before an unanswered request is rejected
    maxQueued: 1000,            // publishes kept while disconnected
    publishRetryFor: 30000      // ms a publish is sent again (same key) after a disconnect or `unavailable`
  };

  // keys unique per page load: a random prefix and a counter
  var keyPrefix = Math.random().toString(36).slice(2, 10) + Date.now().toString(36);
  var keyCounter = 0;

  function newKey() {
    keyCounter++;
    return keyPrefix + '-' + keyCounter;
  }

  var scriptBase = (function () {
    var s = global.document && global.document.currentScript;
    if (s && s.src) {
      return s.src.replace(/\/groupcast\.js(\?.*)?$/, '');
    }
    return global.location ? global.location.origin : 'http://localhost:8080';
  })();

  function GroupcastError(frame) {
    var e = new Error(frame.message || frame.code);
    e.code = frame.code;
    e.frame = frame;
    return e;
  }

  function Client(options) {
    this.options = {};
    for (var k in DEFAULTS) {
      this.options[k] = options && options[k] !== undefined ? options[k] : DEFAULTS[k];
    }
    this.urls = (this.options.urls || [scriptBase]).map(function (u) { return u.replace(/\/+$/, ''); });
    this.state = 'connecting';
    this.session = null;
    this.node = null;
    this.url = null;
    this.transport = null;
    this._listeners = {};
    this._groups = {};          // name -> {epoch, lastSeq, handlers, joinWaiters}
    this._pending = {};         // request id -> {resolve, reject, timer, kind, group}
    this._outbox = [];          // publishes waiting for a connection
    this._nextId = 1;
    this._attempt = 0;
    this._urlIndex = 0;
    this._preferSockJS = this.options.transports.indexOf('websocket') < 0 || !global.WebSocket;
    this._socket = null;
    this._timer = null;
    this._closed = false;
    this._open();
  }

  Client.prototype.on = function (event, fn) {
    (this._listeners[event] = this._listeners[event] || []).push(fn);
    return this;
  };

  Client.prototype.off = function (event, fn) {
    var l = this._listeners[event] || [];
    var i = l.indexOf(fn);
    if (i >= 0) {
      l.splice(i, 1);
    }
    return this;
  };

  Client.prototype._emit = function (event, arg) {
    (this._listeners[event] || []).slice().forEach(function (fn) {
      try {
        fn(arg);
      } catch (e) {
        setTimeout(function () { throw e; });
      }
    });
  };

  Client.prototype._setState = function (state) {
    if (this.state !== state) {
      this.state = state;
      this._emit('state', state);
    }
  };

  // ---------------------------------------------------------------- public API

  /**
   * Joins a group; onMessage(msg) gets each of its messages once, in seq order. Resolves with the
   * `joined` frame. options.since asks for the messages after that seq first (of options.epoch, the
   * stream a previous `joined` named; another epoch replays nothing); options.presence for
   * the 'presence' events of the group's members joining and leaving. Stays joined across
   * reconnects until leave().
   */
  Client.prototype.join = function (group, onMessage, options) {
    var self = this;
    var g = this._groups[group];
    if (!g) {
      g = this._groups[group] = {epoch: null, lastSeq: null, handlers: [], joinWaiters: []};
    }
    if (options && typeof options.since === 'number') {
      g.lastSeq = options.since;
      g.epoch = typeof options.epoch === 'string' ? options.epoch : null;
    }
    if (options && options.presence) {
      g.presence = true;
    }
    if (onMessage && g.handlers.indexOf(onMessage) < 0) {
      g.handlers.push(onMessage);
    }
    return new Promise(function (resolve, reject) {
      g.joinWaiters.push({resolve: resolve, reject: reject});
      if (self.state === 'open') {
        self._sendJoin(group);
      }
    });
  };

  Client.prototype.leave = function (group) {
    var had = this._groups[group];
    delete this._groups[group];
    if (had) {
      had.joinWaiters.forEach(function (w) { w.reject(new Error('left before joined')); });
    }
    if (this.state !== 'open') {
      return Promise.resolve({type: 'left', group: group});
    }
    return this._request({type: 'leave', group: group}, 'leave');
  };

  /**
   * Resolves with the `ack` frame (it carries the message's seq; `duplicate: true` when the server had
   * stored this key already); queued while disconnected, sent again with the same key after a
   * disconnect or an `unavailable` answer (see options.publishRetryFor). options.key sets the key
   * (1 to 128 characters), for an application that retries across page loads.
   */
  Client.prototype.publish = function (group, body, options) {
    var frame = {type: 'publish', group: group, body: body === undefined ? null : body,
      key: options && options.key ? options.key : newKey()};
    if (this._closed) {
      return Promise.reject(new Error('client closed'));
    }
    if (this.state !== 'open' && this._outbox.length >= this.options.maxQueued) {
      return Promise.reject(GroupcastError({code: 'rate_limited', message: 'too many publishes queued while disconnected'}));
    }
    var self = this;
    return new Promise(function (resolve, reject) {
      self._sendPublish({frame: frame, resolve: resolve, reject: reject, until: Date.now() + self.options.publishRetryFor});
    });
  };

  /** Sends a publish now, or keeps it for the next connection; an ack settles it once. */
  Client.prototype._sendPublish = function (p) {
    var self = this;
    if (this.state !== 'open') {
      this._outbox.push(p);
      return;
    }
    delete p.frame.id;
    this._request(p.frame, 'publish', p).then(p.resolve, function (err) {
      var retry = (err.code === 'unavailable' || err.code === 'disconnected') && Date.now() < p.until && !self._closed;
      if (!retry) {
        p.reject(err);
      } else if (err.code === 'disconnected') {
        self._outbox.push(p); // sent again, same key, once connected
      } else {
        setTimeout(function () { self._sendPublish(p); }, 500 + Math.random() * 500);
      }
    });
  };

  Client.prototype.ping = function () {
    return this._request({type: 'ping'}, 'ping');
  };

  /** The last seq seen of a group (null before anything was seen). */
  Client.prototype.lastSeq = function (group) {
    var g = this._groups[group];
    return g ? g.lastSeq : null;
  };

  /** The epoch of the group's stream that lastSeq belongs to (null before joined). */
  Client.prototype.epoch = function (group) {
    var g = this._groups[group];
    return g ? g.epoch : null;
  };

  Client.prototype.close = function () {
    this._closed = true;
    clearTimeout(this._timer);
    if (this._socket) {
      this._socket.close(1000, 'client closed');
    }
    this._failPending('client closed', true);
    this._outbox.splice(0).forEach(function (p) { p.reject(new Error('client closed')); });

    this._setState('closed');
  };

  // ---------------------------------------------------------------- connection

  Client.prototype._open = function () {
    if (this._closed) {
      return;
    }
    this._setState(this._attempt === 0 ? 'connecting' : 'disconnected');
    var base = this.urls[this._urlIndex % this.urls.length];
    if (this._preferSockJS) {
      this._openSockJS(base);
    } else {
      this._openWebSocket(base);
    }
  };

  Client.prototype._openWebSocket = function (base) {
    var self = this;
    var ws;
    try {
      ws = new global.WebSocket(base.replace(/^http/, 'ws') + '/ws');
    } catch (e) {
      this._transportFailed(base, true);
      return;
    }
    this._attach(ws, base, 'websocket');
    ws.addEventListener('close', function () {
      if (!self._welcomed(ws)) {
        self._transportFailed(base, true);
      }
    });
  };

  Client.prototype._openSockJS = function (base) {
    var self = this;
    loadSockJS(base, function (err) {
      if (err || self._closed) {
        self._transportFailed(base, false);
        return;
      }
      var opts = self.options.sockjsTransports ? {transports: self.options.sockjsTransports} : {};
      var sock = new global.SockJS(base + '/sockjs', null, opts);
      self._attach(sock, base, 'sockjs');
      sock.addEventListener('close', function () {
        if (!self._welcomed(sock)) {
          self._transportFailed(base, false);
        }
      });
    });
  };

  Client.prototype._welcomed = function (socket) {
    return socket._gcWelcomed === true;
  };

  /** A connection that never got its welcome: try SockJS on the same node once, then back off. */
  Client.prototype._transportFailed = function (base, wasWebSocket) {
    if (this._closed) {
      return;
    }
    if (wasWebSocket && this.options.transports.indexOf('sockjs') >= 0 && !this._triedSockJS) {
      this._triedSockJS = true;
      this._openSockJS(base);
      return;
    }
    this._triedSockJS = false;
    this._urlIndex++;
    this._scheduleReconnect();
  };

  Client.prototype._scheduleReconnect = function (immediately) {
    var self = this;
    if (this._closed) {
      return;
    }
    this._setState('disconnected');
    var ceiling = Math.min(this.options.maxDelay, this.options.minDelay * Math.pow(2, this._attempt));
    var delay = immediately ? 0 : ceiling / 2 + Math.random() * ceiling / 2;
    this._attempt++;
    clearTimeout(this._timer);
    this._timer = setTimeout(function () { self._open(); }, delay);
  };

  Client.prototype._attach = function (socket, base, kind) {
    var self = this;
    this._socket = socket;
    socket.addEventListener('message', function (e) {
      var frame;
      try {
        frame = JSON.parse(e.data);
      } catch (err) {
        return;
      }
      if (frame.type === 'welcome') {
        socket._gcWelcomed = true;
        self.url = base;
        self.transport = kind === 'sockjs' ? 'sockjs:' + (socket.transport || 'unknown') : 'websocket';
        self._preferSockJS = kind === 'sockjs';
        self._triedSockJS = false;
      }
      if (self._socket === socket) {
        self._onFrame(frame);
      }
    });
    socket.addEventListener('close', function (e) {
      if (self._socket !== socket) {
        return;
      }
      self._socket = null;
      if (socket._gcWelcomed) {
        self._onDisconnect(e && e.code);
      }
    });
  };

  Client.prototype._onDisconnect = function (code) {
    this._failPending('disconnected', false);
    this.session = null;
    if (this._closed) {
      return;
    }
    this._emit('disconnect', {code: code});
    // 1012 "service restart": the node is draining, go elsewhere at once
    this._urlIndex++;
    this._attempt = 0;
    this._scheduleReconnect(code === 1012);
  };

  Client.prototype._send = function (frame) {
    this._socket.send(JSON.stringify(frame));
  };

  Client.prototype._request = function (frame, kind) {
    var self = this;
    var id = 'c' + (this._nextId++);
    frame.id = id;
    return new Promise(function (resolve, reject) {
      var timer = setTimeout(function () {
        delete self._pending[id];
        // a publish without an answer may be stored or not: sending it again (same key) is safe
        reject(GroupcastError({code: kind === 'publish' ? 'unavailable' : 'timeout',
          message: frame.type + ' got no answer in time'}));
      }, self.options.requestTimeout);
      self._pending[id] = {resolve: resolve, reject: reject, timer: timer, kind: kind, group: frame.group};
      self._send(frame);
    });
  };

  /** Every member of the group, cluster-wide: resolves with [{session, user, node, joinedAt}]. */
  Client.prototype.presence = function (group) {
    return this._request({type: 'presence', group: group}, 'presence').then(function (answer) {
      return answer.members;
    });
  };

  Client.prototype._sendJoin = function (group) {
    var self = this;
    var g = this._groups[group];
    var frame = {type: 'join', group: group};
    if (g.presence) {
      frame.presence = true;
    }
    var sinceAsked = g.lastSeq !== null;
    if (sinceAsked) {
      frame.since = g.lastSeq;
      if (g.epoch !== null) {
        frame.epoch = g.epoch;
      }
    }
    this._request(frame, 'join').then(function (joined) {
      var current = self._groups[group];
      if (current !== g) {
        return;
      }
      var epochChanged = g.epoch !== null && joined.epoch !== g.epoch;
      g.epoch = joined.epoch;
      if ((!sinceAsked && g.lastSeq === null) || joined.recovered === false) {
        g.lastSeq = joined.seq; // a new stream: what was before is not coming
      }
      if (joined.recovered === false) {
        var ev = {group: group, epoch: joined.epoch, seq: joined.seq, since: frame.since,
          reason: epochChanged ? 'epoch' : 'trimmed'};
        self._emit('reset', ev);
        self._emit('gap', ev); // the name before epochs
      }
      g.joinWaiters.splice(0).forEach(function (w) { w.resolve(joined); });
    }, function (err) {
      if (err.code === 'unavailable') {
        // the node cannot serve it now (no majority, a merge on its way): ask again in a while
        setTimeout(function () {
          if (self._groups[group] === g && self.state === 'open') {
            self._sendJoin(group);
          }
        }, 1000);
        return;
      }
      if (err.code && err.code !== 'disconnected' && err.code !== 'timeout') {
        if (self._groups[group] === g) {
          delete self._groups[group];
        }
        g.joinWaiters.splice(0).forEach(function (w) { w.reject(err); });
      }
      // disconnected or timed out: the join is sent again on the next connection
    });
  };

  Client.prototype._failPending = function (reason, all) {
    for (var id in this._pending) {
      var p = this._pending[id];
      clearTimeout(p.timer);
      if (p.kind === 'leave') {
        p.resolve({type: 'left', group: p.group});
      } else {
        p.reject(GroupcastError({code: reason, message: reason}));
      }
    }
    this._pending = {};
    if (all) {
      for (var name in this._groups) {
        this._groups[name].joinWaiters.splice(0).forEach(function (w) { w.reject(new Error(reason)); });
      }
    }
  };

  Client.prototype._onFrame = function (frame) {
    switch (frame.type) {
      case 'welcome':
        this.session = frame.session;
        this.node = frame.node;
        this._attempt = 0;
        this._setState('open');
        this._emit('welcome', frame);
        for (var group in this._groups) {
          this._sendJoin(group);
        }
        var self = this;
        this._outbox.splice(0).forEach(function (p) { self._sendPublish(p); });
        if (this.options.discover) {
          this._discover();
        }
        return;
      case 'message':
        var g = this._groups[frame.group];
        if (!g) {
          return;
        }
        if (g.lastSeq !== null && frame.seq <= g.lastSeq) {
          return; // already seen
        }
        g.lastSeq = frame.seq;
        g.handlers.forEach(function (fn) { fn(frame); });
        this._emit('message', frame);
        return;
      case 'reset':
        var r = this._groups[frame.group];
        if (r) {
          r.epoch = frame.epoch;
          r.lastSeq = frame.seq;
          this._emit('reset', {group: frame.group, epoch: frame.epoch, seq: frame.seq, reason: 'reset'});
        }
        return;
      case 'presence_join':
      case 'presence_leave':
        this._emit('presence', frame);
        return;
      case 'error':
        if (frame.id === undefined || !this._pending[frame.id]) {
          this._emit('error', frame);
          return;
        }
        break;
      default:
        break;
    }
    var pending = frame.id !== undefined && this._pending[frame.id];
    if (pending) {
      delete this._pending[frame.id];
      clearTimeout(pending.timer);
      if (frame.type === 'error') {
        pending.reject(GroupcastError(frame));
      } else {
        pending.resolve(frame);
      }
    }
  };

  /** Adds the cluster's gateway nodes to the URLs to fail over to. */
  Client.prototype._discover = function () {
    var self = this;
    var base = this.url;
    if (!global.fetch || !base) {
      return;
    }
    var scheme = base.split('//')[0];
    global.fetch(base + '/api/nodes').then(function (r) { return r.json(); }).then(function (answer) {
      var urls = [base];
      (answer.nodes || []).forEach(function (n) {
        if (n.http && (!n.roles || n.roles.indexOf('gateway') >= 0)) {
          var u = scheme + '//' + n.http;
          if (urls.indexOf(u) < 0) {
            urls.push(u);
          }
        }
      });
      self.options.urls = urls;
      self.urls = urls;
      self._urlIndex = 0;
      self._emit('nodes', urls);
    }).catch(function () { /* keep the URLs we have */ });
  };

  var sockJSLoading = null;

  function loadSockJS(base, done) {
    if (global.SockJS) {
      done();
      return;
    }
    if (!sockJSLoading) {
      sockJSLoading = new Promise(function (resolve, reject) {
        var s = global.document.createElement('script');
        s.src = base + '/vendor/sockjs.min.js';
        s.onload = function () { resolve(); };
        s.onerror = function () { sockJSLoading = null; reject(new Error('cannot load SockJS')); };
        global.document.head.appendChild(s);
      });
    }
    sockJSLoading.then(function () { done(); }, done);
  }

  return {
    connect: function (options) {
      return new Client(options || {});
    },
    Client: Client
  };
}));
