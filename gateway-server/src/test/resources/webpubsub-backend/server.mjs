// A real Web PubSub event handler for the tests (WebPubSubBackend starts it): the official Express
// middleware, @azure/web-pubsub-express, for hubs "chat" and "other", plus two test endpoints outside its
// path: GET /_ready and GET /_events (DELETE /_events clears). It listens on 127.0.0.1:$PORT and exits
// when its standard input closes, so it never outlives the JVM that started it.
//
// The middleware checks no signature and no Authorization header (it only copies ce-signature into the
// context): whatever reaches it is answered, which is why the gateway checks them.
import { AsyncLocalStorage } from "node:async_hooks";
import express from "express";
import { WebPubSubEventHandler } from "@azure/web-pubsub-express";

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) {
  console.error(`PORT: ${process.env.PORT} (expected: a port number)`);
  process.exit(2);
}

// What the handlers saw, oldest first, and every request that reached the middleware (any path but the
// test endpoints), with its status.
const events = [];
const requests = [];
let seq = 0;

// The handlers get only the middleware's parsed request, not the HTTP one: the headers a test asserts on
// (X-Forwarded-For, Authorization) and the peer's address travel to them in this store, across the
// middleware's awaits.
const http = new AsyncLocalStorage();

function headerOf(req, name) {
  const value = req.headers[name];
  return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
}

function record(type, request, extra) {
  const ctx = request?.context ?? {};
  const h = http.getStore() ?? {};
  const event = {
    seq: ++seq,
    type,
    hub: ctx.hub ?? null,
    eventName: ctx.eventName ?? null,
    connectionId: ctx.connectionId ?? null,
    userId: ctx.userId ?? null,
    signature: ctx.signature ?? null,
    origin: ctx.origin ?? null,
    remoteAddress: h.remoteAddress ?? null,
    xForwardedFor: h.xForwardedFor ?? null,
    authorization: h.authorization ?? null,
    hasAuthorization: h.authorization != null,
    ...extra,
  };
  events.push(event);
  console.log(`event ${JSON.stringify(event)}`);
}

function text(data, dataType) {
  if (dataType === "json") {
    return JSON.stringify(data);
  }
  return Buffer.isBuffer(data) ? data.toString("utf8") : String(data);
}

// A connect is refused (401 "nope") when the user is "deny", or the client's claims or query carry "deny".
function deniedConnect(req) {
  return req.context.userId === "deny"
      || Object.hasOwn(req.claims ?? {}, "deny")
      || Object.hasOwn(req.queries ?? req.query ?? {}, "deny");
}

function handlerFor(hub, echoPrefix) {
  return new WebPubSubEventHandler(hub, {
    handleConnect: (req, res) => {
      const denied = deniedConnect(req);
      record("connect", req, { claims: req.claims ?? null, queries: req.queries ?? null, denied });
      if (denied) {
        res.fail(401, "nope");
      } else {
        res.success({ userId: req.context.userId ?? "u1", groups: ["g1"] });
      }
    },
    onConnected: (req) => record("connected", req, {}),
    onDisconnected: (req) => record("disconnected", req, { reason: req.reason ?? null }),
    handleUserEvent: (req, res) => {
      const data = text(req.data, req.dataType);
      record("user", req, { dataType: req.dataType, data });
      res.success(echoPrefix + data, "text");
    },
  });
}

const handlers = [handlerFor("chat", "echo:"), handlerFor("other", "other:")];

const app = express();

app.get("/_ready", (req, res) => res.status(200).type("text/plain").send("ready"));
app.get("/_events", (req, res) => res.status(200).json({ events, requests }));
app.delete("/_events", (req, res) => {
  events.length = 0;
  requests.length = 0;
  res.status(204).end();
});

// Before the middleware, and reading no body (express.json() here would leave the middleware waiting for
// a body already consumed): note the request, and carry its headers to the handlers.
app.use((req, res, next) => {
  const seen = {
    method: req.method,
    path: req.originalUrl,
    ceType: headerOf(req, "ce-type"),
    ceHub: headerOf(req, "ce-hub"),
    origin: headerOf(req, "webhook-request-origin"),
    remoteAddress: req.socket.remoteAddress ?? null,
    xForwardedFor: headerOf(req, "x-forwarded-for"),
    authorization: headerOf(req, "authorization"),
  };
  res.on("finish", () => {
    requests.push({ ...seen, status: res.statusCode, allowedOrigin: res.getHeader("webhook-allowed-origin") ?? null });
  });
  if (req.method === "OPTIONS") {
    // The abuse-protection handshake is answered inside the middleware, with no callback of ours.
    res.on("finish", () => {
      if (res.statusCode === 200 && req.headers["ce-awpsversion"] !== undefined) {
        const hub = /\/hubs\/([^/]+)\//.exec(req.path)?.[1] ?? null;
        http.run(seen, () => record("preflight", { context: { hub, origin: seen.origin } }, {}));
      }
    });
  }
  http.run(seen, next);
});

for (const handler of handlers) {
  app.use(handler.getMiddleware());
}

const server = app.listen(port, "127.0.0.1", (error) => {
  if (error) {
    console.error(`cannot listen on 127.0.0.1:${port}: ${error.message}`);
    process.exit(1);
  }
  console.log(`listening on 127.0.0.1:${port} (node ${process.version})`);
});
server.on("error", (error) => {
  console.error(`server error: ${error.message}`);
  process.exit(1);
});

process.stdin.on("end", () => process.exit(0));
process.stdin.on("error", () => process.exit(0));
process.stdin.resume();
