package dev.groupcast.config;

import io.vertx.core.MultiMap;
import io.vertx.core.net.SocketAddress;

import io.netty.util.NetUtil;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code http.trustedProxies}: peers whose {@code X-Forwarded-For} is believed, as addresses or CIDR
 * ranges ({@code 10.0.0.0/8}). The client is the rightmost forwarded address that is not itself a
 * trusted proxy, as nginx's {@code real_ip_recursive} does: entries to its left are whatever the
 * client chose to send.
 */
public final class TrustedProxies {

  private record Range(byte[] network, int prefixBits) {
    boolean contains(byte[] address) {
      if (address.length != network.length) {
        return false;
      }
      int full = prefixBits / 8;
      for (int i = 0; i < full; i++) {
        if (address[i] != network[i]) {
          return false;
        }
      }
      int rest = prefixBits % 8;
      if (rest == 0) {
        return true;
      }
      int mask = 0xff << (8 - rest);
      return (address[full] & mask) == (network[full] & mask);
    }
  }

  private final List<Range> ranges;

  private TrustedProxies(List<Range> ranges) {
    this.ranges = ranges;
  }

  public static final TrustedProxies NONE = new TrustedProxies(List.of());

  /** Parses the configured list; an entry that is not an address or CIDR range throws. */
  public static TrustedProxies parse(List<String> entries) {
    List<Range> ranges = new ArrayList<>();
    for (String entry : entries) {
      int slash = entry.indexOf('/');
      String host = slash < 0 ? entry : entry.substring(0, slash);
      byte[] network = literal(host);
      if (network == null) {
        throw new IllegalArgumentException("not an IP address or CIDR range: " + entry);
      }
      int bits = network.length * 8;
      if (slash >= 0) {
        try {
          bits = Integer.parseInt(entry.substring(slash + 1));
        } catch (NumberFormatException e) {
          bits = -1;
        }
        if (bits < 0 || bits > network.length * 8) {
          throw new IllegalArgumentException("bad prefix length in " + entry);
        }
      }
      ranges.add(new Range(network, bits));
    }
    return new TrustedProxies(List.copyOf(ranges));
  }

  public boolean isEmpty() {
    return ranges.isEmpty();
  }

  /** The address to count a connection against: the peer, or whom a trusted peer forwards for. */
  public String clientOf(SocketAddress peer, MultiMap headers) {
    String direct = peer == null ? "unknown" : peer.hostAddress();
    if (ranges.isEmpty() || !trusted(direct)) {
      return direct;
    }
    List<String> forwarded = new ArrayList<>();
    for (String header : headers.getAll("X-Forwarded-For")) {
      for (String hop : header.split(",")) {
        if (!hop.isBlank()) {
          forwarded.add(hop.trim());
        }
      }
    }
    for (int i = forwarded.size() - 1; i >= 0; i--) {
      String hop = forwarded.get(i);
      if (literal(hop) == null) {
        return direct; // garbage where an address should be: fall back to what we know
      }
      if (!trusted(hop) || i == 0) {
        return hop;
      }
    }
    return direct;
  }

  private boolean trusted(String address) {
    byte[] bytes = literal(address);
    if (bytes == null) {
      return false;
    }
    for (Range range : ranges) {
      if (range.contains(bytes)) {
        return true;
      }
    }
    return false;
  }

  private static byte[] literal(String host) {
    String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    // Netty's parser never resolves names (InetAddress.getByName would, on anything it cannot parse)
    byte[] bytes = bare.length() > 45 ? null : NetUtil.createByteArrayFromIpAddressString(bare);
    return bytes == null ? null : normalise(bytes);
  }

  /** An IPv4-mapped IPv6 address (how a dual-stack socket reports IPv4 peers) compares as IPv4. */
  private static byte[] normalise(byte[] bytes) {
    if (bytes.length == 16) {
      boolean mapped = bytes[10] == (byte) 0xff && bytes[11] == (byte) 0xff;
      for (int i = 0; i < 10 && mapped; i++) {
        mapped = bytes[i] == 0;
      }
      if (mapped) {
        return new byte[] {bytes[12], bytes[13], bytes[14], bytes[15]};
      }
    }
    return bytes;
  }
}
