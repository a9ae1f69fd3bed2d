package dev.groupcast.support;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's nginx ({@code apt-get install nginx}) run in the foreground with {@code conf/nginx.conf},
 * rewritten only to point at the test's ports.
 */
public final class NginxProcess implements AutoCloseable {

  public static final String NGINX = System.getProperty("nginx.binary", "/usr/sbin/nginx");

  private final Process process;
  public final int port;
  private final Path dir;

  private NginxProcess(Process process, int port, Path dir) {
    this.process = process;
    this.port = port;
    this.dir = dir;
  }

  /** Starts nginx with the project's configuration in front of the given backend ports. */
  public static NginxProcess start(List<Integer> backendPorts) throws IOException, InterruptedException {
    if (!Files.isExecutable(Path.of(NGINX))) {
      throw new IllegalStateException("this test needs Debian's nginx (apt-get install nginx; .ci/run does it)");
    }
    Path dir = Files.createTempDirectory("groupcast-nginx");
    Files.createDirectories(dir.resolve("logs"));
    int port = TestCluster.freePort();
    String conf = Files.readString(Path.of("conf", "nginx.conf"));
    StringBuilder servers = new StringBuilder();
    for (int p : backendPorts) {
      servers.append("        server 127.0.0.1:").append(p).append(" max_fails=1 fail_timeout=10s;\n");
    }
    conf = conf.replaceAll("(?m)^ +server 127\\.0\\.0\\.1:\\d+ [^\\n]*\\n", "")
        .replace("        keepalive 64;", servers + "        keepalive 64;")
        .replace("listen 8000;", "listen 127.0.0.1:" + port + ";");
    Path file = dir.resolve("nginx.conf");
    Files.writeString(file, conf);
    List<String> global = new ArrayList<>(List.of("daemon off;", "pid " + dir.resolve("nginx.pid") + ";",
        "error_log " + dir.resolve("logs/error.log") + " warn;"));
    if ("root".equals(System.getProperty("user.name"))) {
      global.add("user root;");
    }
    Process p = new ProcessBuilder(NGINX, "-p", dir.toString(), "-c", file.toString(), "-g", String.join(" ", global))
        .redirectErrorStream(true).redirectOutput(dir.resolve("logs/stdout.log").toFile()).start();
    NginxProcess nginx = new NginxProcess(p, port, dir);
    long deadline = System.currentTimeMillis() + 10_000;
    while (!nginx.listening()) {
      if (!p.isAlive() || System.currentTimeMillis() > deadline) {
        String log = Files.readString(dir.resolve("logs/stdout.log")) + Files.readString(dir.resolve("logs/error.log"));
        nginx.close();
        throw new IllegalStateException("nginx did not start: " + log);
      }
      Thread.sleep(50); // polling a port nginx opens on its own schedule; the loop ends on the condition
    }
    return nginx;
  }

  private boolean listening() {
    try (Socket s = new Socket("127.0.0.1", port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }

  public Path dir() {
    return dir;
  }
}
