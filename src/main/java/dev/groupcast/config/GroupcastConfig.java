package dev.groupcast.config;

import io.vertx.core.json.JsonObject;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The whole configuration, typed and validated once at start. Built by {@link ConfigLoader}; each
 * nested record is one section of {@code conf/groupcast.json}.
 */
public record GroupcastConfig(Node node, Set<Role> roles, Http http, Cluster cluster, History history,
                              Limits limits, WebSocket ws, Auth auth, Tls tls, Proxy proxy, Shutdown shutdown,
                              Log log) {

  /** {@code log.format}: {@code text} (for people) or {@code json} (one object per line, for collectors). */
  public record Log(boolean json) {
  }

  /** {@code node.id}: the name this process gives itself in frames, logs and metadata. */
  public record Node(String id) {
  }

  /**
   * {@code http.*}: where clients connect. {@code allowedOrigins} empty means any origin; otherwise a
   * browser handshake (WebSocket, SockJS, bridge) from an origin not listed is refused with 403.
   * {@code headerTimeout}: a connection must deliver its first request head within this time, on
   * this port and on the proxy port (slowloris). {@code trustedProxies}: peers whose
   * {@code X-Forwarded-For} names the client, for per-address limits and ip-hash.
   */
  public record Http(String host, int port, List<String> allowedOrigins, Duration headerTimeout,
                     TrustedProxies trustedProxies) {
  }

  /**
   * {@code auth.*}: JWT verification with an HS256 secret and/or an RS256/ES256 public key (PEM text or
   * a file), an API key for the HTTP API. {@code required}: every client must bring a valid token when
   * it connects, and the HTTP API needs the admin credential.
   */
  public record Auth(boolean required, String jwtSecret, String jwtPublicKey, String apiKey) {

    public boolean jwtConfigured() {
      return !jwtSecret.isEmpty() || !jwtPublicKey.isEmpty();
    }
  }

  /**
   * {@code tls.*}: PEM certificate and key files. When set, the HTTP port speaks TLS; {@code proxy} and
   * {@code eventBus} put the proxy port and the event bus between nodes on TLS with the same pair.
   */
  public record Tls(String cert, String key, boolean proxy, boolean eventBus) {

    public boolean enabled() {
      return !cert.isEmpty();
    }
  }

  /**
   * {@code cluster.*}: Hazelcast membership and the event bus. {@code host} is bound and advertised;
   * an empty {@code members} list makes a cluster of one. {@code port} and {@code busPort} 0 mean any
   * free port (the event bus by default; the member port of a proxy-only node that was given none).
   */
  public record Cluster(String name, String host, int port, int busPort, List<HostPort> members,
                        Discovery discovery, String service, int expectedSize) {

    /**
     * How many members must be reachable for this node to sequence: a majority of
     * {@code expectedSize} (1 of 1, 2 of 2, 2 of 3, 3 of 5).
     */
    public int quorum() {
      return expectedSize / 2 + 1;
    }
  }

  /** {@code cluster.discovery}: how members find each other. */
  public enum Discovery {
    /** TCP-IP join with {@code cluster.members}. */
    TCP,
    /** Hazelcast's Kubernetes discovery through the DNS of the headless Service {@code cluster.service}. */
    KUBERNETES
  }

  /**
   * {@code shutdown.*}: a stopping node turns not-ready, waits {@code drainDelay} for proxies and
   * load balancers to notice, tells its clients to reconnect elsewhere, finishes in-flight publishes
   * and leaves the cluster, all within {@code timeout}.
   */
  public record Shutdown(Duration timeout, Duration drainDelay) {
  }

  /**
   * {@code history.*}: how many messages a group keeps for resume ({@code size}, at most
   * {@code maxBytes} of them), and for how long ({@code ttl}, also how long a publish key is
   * remembered and how long a group with no member and no message keeps its state); {@code maxGroups}
   * bounds the groups' logs each node holds (the least recently used are freed first).
   */
  public record History(int size, Duration ttl, int maxBytes, int maxGroups) {
  }

  /**
   * {@code limits.*}: bounds on what one connection may do. {@code publishRate} publishes a second on
   * average, {@code publishBurst} at once (a token bucket; rate 0 turns it off); {@code sendQueueBytes}
   * bounds what may wait to be written to a slow client before it is disconnected; {@code apiRate}
   * and {@code apiBurst} are the HTTP API's requests per client address (services publish through it,
   * so its default is higher than a connection's).
   */
  public record Limits(int maxMessageBytes, int publishRate, int publishBurst, int groupsPerConnection,
                       int sendQueueBytes, int connectionsPerIp, int apiRate, int apiBurst, long queuedPublishBytes) {
  }

  /** {@code ws.*}: keepalive; a connection whose pong is later than {@code pongTimeout} is closed. */
  public record WebSocket(Duration pingInterval, Duration pongTimeout) {
  }

  /**
   * {@code proxy.*}: the proxy role. {@code backends} empty means {@code cluster}: every gateway node
   * of the cluster, followed live. {@code hashKey} is set when {@code balance} is {@code hash}.
   */
  public record Proxy(int port, List<HostPort> backends, Balance balance, HashKey hashKey, Duration readTimeout,
                      Duration connectTimeout, int maxFails, Duration failTimeout, Duration healthInterval,
                      boolean accessLog, int eventLoops, int upgradeRate) {

    public boolean fromCluster() {
      return backends.isEmpty();
    }
  }

  public static final int MAX_GROUP_HISTORY = 100_000;

  public GroupcastConfig {
    roles = Set.copyOf(roles);
  }

  public boolean has(Role role) {
    return roles.contains(role);
  }

  /** Only the proxy role: no clients of its own, its HTTP port serves only health, metrics and /admin. */
  public boolean proxyOnly() {
    return !has(Role.GATEWAY);
  }

  /**
   * Whether the node joins the cluster: every gateway does; a proxy-only node only when it finds its
   * backends there ({@code proxy.backends = cluster}). A proxy with a static list runs alone.
   */
  public boolean clustered() {
    return has(Role.GATEWAY) || proxy.fromCluster();
  }

  /** Validates a merged configuration tree of defaults only. @throws ConfigException naming the first bad key */
  public static GroupcastConfig from(JsonObject tree) {
    return from(tree, Set.of());
  }

  /**
   * Validates a merged configuration tree; {@code given} names the keys the user set, for the defaults
   * that depend on the roles. @throws ConfigException naming the first bad key
   */
  public static GroupcastConfig from(JsonObject tree, Set<String> given) {
    ConfigReader r = new ConfigReader(tree, given);
    String nodeId = r.string("node.id");
    if (nodeId.isEmpty()) {
      nodeId = hostName();
    }
    if (nodeId.length() > 128) {
      throw ConfigException.badValue("node.id", nodeId, "longer than 128 characters");
    }
    Set<Role> roles = roles(r);
    boolean proxyOnly = !roles.contains(Role.GATEWAY);
    Proxy proxy = proxy(r);
    return new GroupcastConfig(
        new Node(nodeId),
        roles,
        new Http(r.nonEmpty("http.host"), httpPort(r, proxyOnly, proxy), r.list("http.allowedOrigins"),
            r.duration("http.headerTimeout", Duration.ofMillis(100)), trustedProxies(r)),
        cluster(r, proxyOnly),
        new History(r.integer("history.size", 1, MAX_GROUP_HISTORY),
            r.duration("history.ttl", Duration.ofSeconds(1)),
            r.integer("history.maxBytes", 1024, 1 << 30),
            r.integer("history.maxGroups", 100, 100_000_000)),
        new Limits(r.integer("limits.maxMessageBytes", 256, 16 * 1024 * 1024),
            r.integer("limits.publishRate", 0, 1_000_000),
            r.integer("limits.publishBurst", 1, 1_000_000),
            r.integer("limits.groupsPerConnection", 1, 100_000),
            r.integer("limits.sendQueueBytes", 1024, 1 << 30),
            r.integer("limits.connectionsPerIp", 0, 10_000_000),
            r.integer("limits.apiRate", 0, 10_000_000),
            r.integer("limits.apiBurst", 1, 10_000_000),
            r.integer("limits.queuedPublishBytes", 65536, Integer.MAX_VALUE)),
        new WebSocket(r.duration("ws.pingInterval", Duration.ofMillis(100)),
            r.duration("ws.pongTimeout", Duration.ofMillis(100))),
        auth(r),
        tls(r),
        proxy,
        shutdown(r),
        log(r));
  }

  private static Auth auth(ConfigReader r) {
    Auth auth = new Auth(r.bool("auth.required"), r.string("auth.jwtSecret"), r.string("auth.jwtPublicKey"),
        r.string("auth.apiKey"));
    if (auth.required() && !auth.jwtConfigured()) {
      throw ConfigException.badValue("auth.required", true, "needs auth.jwtSecret or auth.jwtPublicKey to check tokens");
    }
    if (!auth.jwtSecret().isEmpty() && auth.jwtSecret().length() < 32) {
      throw ConfigException.badValue("auth.jwtSecret", "(hidden)", "must be at least 32 characters");
    }
    return auth;
  }

  private static Tls tls(ConfigReader r) {
    Tls tls = new Tls(r.string("tls.cert"), r.string("tls.key"), r.bool("tls.proxy"), r.bool("tls.eventBus"));
    if (tls.cert().isEmpty() != tls.key().isEmpty()) {
      throw ConfigException.badValue(tls.cert().isEmpty() ? "tls.cert" : "tls.key", "", "tls.cert and tls.key go together");
    }
    for (String key : new String[] {"tls.cert", "tls.key"}) {
      String file = r.string(key);
      if (!file.isEmpty() && !java.nio.file.Files.isReadable(java.nio.file.Path.of(file))) {
        throw ConfigException.badValue(key, file, "no such readable file");
      }
    }
    if ((tls.proxy() || tls.eventBus()) && !tls.enabled()) {
      throw ConfigException.badValue(tls.proxy() ? "tls.proxy" : "tls.eventBus", true, "needs tls.cert and tls.key");
    }
    return tls;
  }

  /**
   * A proxy-only node serves only its health, metrics and dashboard on {@code http.port}: given none,
   * it takes the port after its proxy port (8001 by default), never a gateway's 8080, so a proxy runs
   * beside a gateway on one machine with no port set.
   */
  private static int httpPort(ConfigReader r, boolean proxyOnly, Proxy proxy) {
    if (!proxyOnly || r.given("http.port")) {
      return r.port("http.port");
    }
    if (proxy.port() == 65535) {
      throw ConfigException.badValue("http.port", "(proxy.port + 1)",
          "a proxy-only node on proxy.port 65535 needs http.port set");
    }
    return proxy.port() + 1;
  }

  private static Cluster cluster(ConfigReader r, boolean proxyOnly) {
    Discovery discovery;
    String name = r.string("cluster.discovery");
    switch (name) {
      case "tcp" -> discovery = Discovery.TCP;
      case "kubernetes" -> discovery = Discovery.KUBERNETES;
      default -> throw ConfigException.badValue("cluster.discovery", name, "must be tcp or kubernetes");
    }
    String service = r.string("cluster.service");
    if (discovery == Discovery.KUBERNETES && service.isEmpty()) {
      throw ConfigException.badValue("cluster.service", service,
          "required with cluster.discovery kubernetes (the headless Service's DNS name)");
    }
    // a proxy-only member holds no clients; nobody needs to list it, so given no port it takes any
    // free one rather than a gateway's 5701
    int port = proxyOnly && !r.given("cluster.port") ? 0 : r.port("cluster.port");
    int busPort = r.integer("cluster.busPort", 0, 65535);
    List<HostPort> members = members(r);
    // 0: the gateways listed, this node included whether it is listed or not (a proxy-only node is
    // not counted: the majority is of the nodes that sequence); Kubernetes, whose members are found
    // through DNS, sets the replica count
    int expected = r.integer("cluster.expectedSize", 0, 1000);
    if (expected == 0) {
      HostPort self = new HostPort(r.nonEmpty("cluster.host"), port);
      boolean listed = members.contains(self);
      expected = proxyOnly ? Math.max(1, members.size() - (listed ? 1 : 0)) : members.size() + (listed ? 0 : 1);
    }
    return new Cluster(r.nonEmpty("cluster.name"), r.nonEmpty("cluster.host"), port, busPort,
        members, discovery, service, expected);
  }

  private static Shutdown shutdown(ConfigReader r) {
    Duration timeout = r.duration("shutdown.timeout", Duration.ofSeconds(1));
    Duration drainDelay = r.duration("shutdown.drainDelay", Duration.ZERO);
    if (drainDelay.compareTo(timeout) >= 0) {
      throw ConfigException.badValue("shutdown.drainDelay", r.raw("shutdown.drainDelay"),
          "must be shorter than shutdown.timeout");
    }
    return new Shutdown(timeout, drainDelay);
  }

  private static TrustedProxies trustedProxies(ConfigReader r) {
    try {
      return TrustedProxies.parse(r.list("http.trustedProxies"));
    } catch (IllegalArgumentException e) {
      throw ConfigException.badValue("http.trustedProxies", r.raw("http.trustedProxies"), e.getMessage());
    }
  }

  private static Log log(ConfigReader r) {
    String format = r.string("log.format");
    if (!format.equals("text") && !format.equals("json")) {
      throw ConfigException.badValue("log.format", format, "must be text or json");
    }
    return new Log(format.equals("json"));
  }

  private static Proxy proxy(ConfigReader r) {
    List<HostPort> backends = new ArrayList<>();
    List<String> listed = r.list("proxy.backends");
    if (!(listed.size() == 1 && listed.get(0).equals("cluster"))) {
      if (listed.isEmpty()) {
        throw ConfigException.badValue("proxy.backends", r.raw("proxy.backends"),
            "must be cluster or a comma list of host:port");
      }
      for (String item : listed) {
        try {
          backends.add(HostPort.parse(item));
        } catch (IllegalArgumentException e) {
          throw ConfigException.badValue("proxy.backends", item, e.getMessage() + " (or cluster)");
        }
      }
    }
    Balance balance;
    try {
      balance = Balance.fromKey(r.string("proxy.balance"));
    } catch (IllegalArgumentException e) {
      throw ConfigException.badValue("proxy.balance", r.raw("proxy.balance"), e.getMessage());
    }
    String keyText = r.string("proxy.hashKey");
    HashKey hashKey = null;
    if (!keyText.isEmpty()) {
      try {
        hashKey = HashKey.parse(keyText);
      } catch (IllegalArgumentException e) {
        throw ConfigException.badValue("proxy.hashKey", keyText, e.getMessage());
      }
    } else if (balance == Balance.HASH) {
      throw ConfigException.badValue("proxy.hashKey", keyText,
          "required when proxy.balance is hash (header:NAME, cookie:NAME or query:NAME)");
    }
    return new Proxy(r.port("proxy.port"), List.copyOf(backends), balance, hashKey,
        r.duration("proxy.readTimeout", Duration.ofMillis(100)),
        r.duration("proxy.connectTimeout", Duration.ofMillis(10)),
        r.integer("proxy.maxFails", 0, 1000),
        r.duration("proxy.failTimeout", Duration.ofMillis(1)),
        r.duration("proxy.healthInterval", Duration.ofMillis(100)),
        r.bool("proxy.accessLog"),
        r.integer("proxy.eventLoops", 0, 1024),
        r.integer("proxy.upgradeRate", 0, 1_000_000));
  }

  private static Set<Role> roles(ConfigReader r) {
    List<String> names = r.list("roles");
    if (names.isEmpty()) {
      throw ConfigException.badValue("roles", r.raw("roles"), "must name at least one role (gateway, proxy)");
    }
    Set<Role> roles = EnumSet.noneOf(Role.class);
    for (String name : names) {
      try {
        roles.add(Role.fromKey(name));
      } catch (IllegalArgumentException e) {
        throw ConfigException.badValue("roles", name, e.getMessage());
      }
    }
    return roles;
  }

  private static List<HostPort> members(ConfigReader r) {
    List<HostPort> out = new ArrayList<>();
    for (String item : r.list("cluster.members")) {
      try {
        out.add(HostPort.parse(item));
      } catch (IllegalArgumentException e) {
        throw ConfigException.badValue("cluster.members", item, e.getMessage());
      }
    }
    return List.copyOf(out);
  }

  private static String hostName() {
    String env = System.getenv("HOSTNAME");
    if (env != null && !env.isBlank()) {
      return env.trim();
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "groupcast";
    }
  }
}
