package dev.groupcast.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Hosts of the test's own, one network namespace each ({@code ip netns}), wired by veth pairs to a
 * bridge in this (the test's) namespace, where the clients run: each node has an address of its own
 * (10.X.0.11, .12, ...), the test's side of the bridge is 10.X.0.1. {@link #cut} drops, with
 * {@code iptables} in one node's namespace, its traffic to and from the other nodes only: the clients
 * still reach it. Needs root, iproute2 and iptables (the test command installs them).
 */
public final class NetLab implements AutoCloseable {

  private final String prefix;
  private final int subnet;
  private final int nodes;

  private NetLab(String prefix, int subnet, int nodes) {
    this.prefix = prefix;
    this.subnet = subnet;
    this.nodes = nodes;
  }

  /** Creates {@code nodes} namespaces on a fresh bridge; names and addresses are unique to this run. */
  public static NetLab create(int nodes) throws IOException, InterruptedException {
    int id = (int) (ProcessHandle.current().pid() % 200) + 20;
    NetLab lab = new NetLab("gc" + id, id, nodes);
    lab.cleanUp(); // what a killed earlier run may have left
    String bridge = lab.bridge();
    run("ip", "link", "add", bridge, "type", "bridge");
    run("ip", "addr", "add", lab.clientAddress() + "/24", "dev", bridge);
    run("ip", "link", "set", bridge, "up");
    for (int i = 0; i < nodes; i++) {
      String ns = lab.namespace(i);
      String outside = lab.prefix + "v" + i;
      run("ip", "netns", "add", ns);
      run("ip", "link", "add", outside, "type", "veth", "peer", "name", "eth0", "netns", ns);
      run("ip", "link", "set", outside, "master", bridge);
      run("ip", "link", "set", outside, "up");
      run("ip", "netns", "exec", ns, "ip", "addr", "add", lab.address(i) + "/24", "dev", "eth0");
      run("ip", "netns", "exec", ns, "ip", "link", "set", "eth0", "up");
      run("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up");
    }
    return lab;
  }

  public String namespace(int node) {
    return prefix + "n" + node;
  }

  public String address(int node) {
    return "10." + subnet + ".0." + (11 + node);
  }

  /** The test's (the clients') address on the bridge. */
  public String clientAddress() {
    return "10." + subnet + ".0.1";
  }

  private String bridge() {
    return prefix + "br";
  }

  /** The command prefix that runs a program in node {@code node}'s namespace. */
  public List<String> inside(int node) {
    return List.of("ip", "netns", "exec", namespace(node));
  }

  /** Node {@code node} can no longer reach the other nodes, nor they it; clients still can. */
  public void cut(int node) throws IOException, InterruptedException {
    for (int other = 0; other < nodes; other++) {
      if (other != node) {
        iptables(node, "-A", "INPUT", "-s", address(other), "-j", "DROP");
        iptables(node, "-A", "OUTPUT", "-d", address(other), "-j", "DROP");
      }
    }
  }

  public void heal(int node) throws IOException, InterruptedException {
    iptables(node, "-F", "INPUT");
    iptables(node, "-F", "OUTPUT");
  }

  private void iptables(int node, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(inside(node));
    command.add("iptables");
    command.addAll(List.of(args));
    run(command.toArray(String[]::new));
  }

  private void cleanUp() {
    for (int i = 0; i < nodes; i++) {
      quiet("ip", "netns", "del", namespace(i));
      quiet("ip", "link", "del", prefix + "v" + i);
    }
    quiet("ip", "link", "del", bridge());
  }

  @Override
  public void close() {
    cleanUp();
  }

  private static void quiet(String... command) {
    try {
      new ProcessBuilder(command).redirectErrorStream(true).start().waitFor(10, TimeUnit.SECONDS);
    } catch (IOException | InterruptedException ignored) {
      // already gone
    }
  }

  static void run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed: " + out.trim());
    }
  }
}
