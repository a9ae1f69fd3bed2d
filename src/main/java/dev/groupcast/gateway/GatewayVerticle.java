package dev.groupcast.gateway;

import dev.groupcast.auth.Authenticator;
import dev.groupcast.cluster.TlsOptions;
import dev.groupcast.config.GroupcastConfig;
import dev.groupcast.error.ErrorCode;
import dev.groupcast.group.GroupHub;
import dev.groupcast.group.GroupNames;
import dev.groupcast.group.LocalHub;
import dev.groupcast.group.Session;
import dev.groupcast.net.HeaderTimeout;
import dev.groupcast.ops.ClusterView;
import dev.groupcast.ops.HttpErrors;
import dev.groupcast.ops.NodeMetrics;
import dev.groupcast.ops.NodeState;
import dev.groupcast.ops.OpsRoutes;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.bridge.PermittedOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The client-facing HTTP server, one instance per event loop: {@code /ws}, {@code /sockjs},
 * {@code /eventbus}, {@code /api}, the operations routes and the static pages. Each instance owns the
 * {@link LocalHub} of the sessions accepted on its loop.
 */
public final class GatewayVerticle extends VerticleBase {

  private final GroupcastConfig config;
  private final GroupHub hub;
  private final NodeState state;
  private final ClusterView cluster;
  private final List<LocalHub> hubs;
  private final ConnectionsPerAddress perAddress;
  private final ApiBudgets apiBudgets;

  /**
   * {@code hubs} collects each instance's {@link LocalHub}, so the node can drain their sessions;
   * {@code perAddress} counts client connections node-wide, {@code apiBudgets} the API's requests.
   */
  public GatewayVerticle(GroupcastConfig config, GroupHub hub, NodeState state, ClusterView cluster,
                         List<LocalHub> hubs, ConnectionsPerAddress perAddress, ApiBudgets apiBudgets) {
    this.config = config;
    this.hub = hub;
    this.state = state;
    this.cluster = cluster;
    this.hubs = hubs;
    this.perAddress = perAddress;
    this.apiBudgets = apiBudgets;
  }

  @Override
  public Future<?> start() {
    LocalHub local = new LocalHub(context, hub);
    Authenticator auth = new Authenticator(vertx, config.auth());
    Admission admission = new Admission(auth, perAddress, new OriginCheck(config.http().allowedOrigins()));
    int maxBytes = config.limits().maxMessageBytes();
    Router router = Router.router(vertx);
    OpsRoutes.mountHealth(router, state, NodeMetrics.of(vertx));
    GroupcastConfig.Limits limits = config.limits();
    Session.Settings settings = new Session.Settings(config.node().id(), maxBytes, limits.publishRate(),
        limits.publishBurst(), limits.groupsPerConnection());
    hubs.add(local);
    Keepalive keepalive = new Keepalive(vertx, config.ws().pingInterval(), config.ws().pongTimeout());
    for (String browserFacing : new String[] {"/ws", "/sockjs/*", "/eventbus/*"}) {
      router.route(browserFacing).handler(admission.origins());
    }
    router.get("/ws").handler(this::refuseWhenStopping)
        .handler(new WebSocketTransport(vertx, local, settings, limits.sendQueueBytes(), keepalive, admission));
    // SockJS clients start every session with /info: a draining node takes no new ones
    router.get("/sockjs/info").handler(this::refuseWhenStopping);
    router.get("/eventbus/info").handler(this::refuseWhenStopping);
    // SockJS xhr transports read their POSTed frames from the body; a batch may hold several frames
    BodyHandler sockJsBodies = BodyHandler.create(false).setBodyLimit(4 * maxBytes);
    for (String prefix : new String[] {"/sockjs/*", "/eventbus/*"}) {
      router.route(prefix).handler(sockJsBodies).handler(SockJSTransport::announceCloseAfterPoll);
    }
    router.route("/sockjs/*").subRouter(SockJSTransport.router(vertx, local, settings, limits.sendQueueBytes(), admission));
    router.route("/eventbus/*").subRouter(SockJSHandler.create(vertx, SockJSTransport.options())
        .bridge(bridgeOptions(), new BridgeHook(vertx, admission, hub, NodeMetrics.of(vertx), limits.publishRate(), limits.publishBurst())));
    ApiRoutes.mount(router, hub, cluster, maxBytes, auth, apiBudgets);
    OpsRoutes.mountAdmin(router, cluster, auth);
    router.route().handler(StaticHandler.create(OpsRoutes.WEB_ROOT).setDefaultContentEncoding("UTF-8"));
    router.errorHandler(404, HttpErrors::onFailure);
    router.errorHandler(405, HttpErrors::onFailure);
    router.errorHandler(500, HttpErrors::onFailure);

    // idle connections go; WebSocket pings keep live ones busy well within this
    long idleMs = 2 * config.ws().pingInterval().toMillis() + config.ws().pongTimeout().toMillis();
    HttpServerOptions options = HeaderTimeout.prepare(new HttpServerOptions())
        .setIdleTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(idleMs, 60_000)))
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
        // frames up to twice the limit are answered with too_large; larger ones close with 1009
        .setMaxWebSocketFrameSize(2 * maxBytes)
        .setMaxWebSocketMessageSize(2 * maxBytes)
        // a deflate context per connection costs far more memory than group traffic saves
        .setPerFrameWebSocketCompressionSupported(false)
        .setPerMessageWebSocketCompressionSupported(false);
    if (config.tls().enabled()) {
      TlsOptions.server(options, config.tls());
    }
    return new HeaderTimeout(vertx, config.http().headerTimeout())
        .install(vertx.createHttpServer(options), router)
        .listen(config.http().port(), config.http().host());
  }

  /** Bridge clients may publish and send to, and register on, group addresses; nothing else. */
  static SockJSBridgeOptions bridgeOptions() {
    String groups = Pattern.quote(GroupNames.ADDRESS_PREFIX) + "[A-Za-z0-9._:-]{1," + GroupNames.MAX_LENGTH + "}";
    return new SockJSBridgeOptions()
        .addInboundPermitted(new PermittedOptions().setAddressRegex(groups))
        .addOutboundPermitted(new PermittedOptions().setAddressRegex(groups));
  }

  private void refuseWhenStopping(RoutingContext rc) {
    if (state.stopping()) {
      rc.response().putHeader(NodeState.DRAINING_HEADER, "1").putHeader(HttpHeaders.RETRY_AFTER, "1");
      HttpErrors.send(rc.response(), 503, ErrorCode.INTERNAL, "this node is shutting down: connect to another one");
    } else {
      rc.next();
    }
  }
}
