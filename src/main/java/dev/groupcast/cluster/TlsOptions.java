package dev.groupcast.cluster;

import dev.groupcast.config.GroupcastConfig;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.TCPSSLOptions;

/** The {@code tls.*} PEM pair applied to servers and to the clients that talk to them. */
public final class TlsOptions {

  private TlsOptions() {
  }

  /** A server (HTTP port, proxy port, event bus) presenting the certificate. */
  public static <T extends TCPSSLOptions> T server(T options, GroupcastConfig.Tls tls) {
    options.setSsl(true).setKeyCertOptions(keyCert(tls));
    return options;
  }

  /**
   * A client of another groupcast node (proxy to gateways, health checks): it trusts the certificate
   * the nodes share. Host names are not checked: nodes are reached by their pod or host addresses,
   * which a shared certificate does not list.
   */
  public static HttpClientOptions client(HttpClientOptions options, GroupcastConfig.Tls tls) {
    options.setSsl(true).setTrustOptions(new PemTrustOptions().addCertPath(tls.cert()));
    return options.setVerifyHost(false);
  }

  public static PemKeyCertOptions keyCert(GroupcastConfig.Tls tls) {
    return new PemKeyCertOptions().setCertPath(tls.cert()).setKeyPath(tls.key());
  }
}
