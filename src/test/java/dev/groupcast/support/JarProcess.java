package dev.groupcast.support;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClient;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** {@code java -jar target/groupcast.jar} as a separate process, the way users run it. */
public final class JarProcess implements AutoCloseable {

  private final String name;
  private final Map<String, String> env;
  private final List<String> launcher;
  private final Process process;
  private final Path log;
  /** Where clients reach it: 127.0.0.1, or its own address in a network namespace. */
  public final String host;
  /** The port clients use: the HTTP port, or the proxy port of a proxy-only process. */
  public final int httpPort;

  private JarProcess(String name, Map<String, String> env, List<String> launcher, Process process, Path log,
                     String host, int httpPort) {
    this.name = name;
    this.env = Map.copyOf(env);
    this.launcher = launcher;
    this.process = process;
    this.log = log;
    this.host = host;
    this.httpPort = httpPort;
  }

  public static Path jar() {
    Path jar = Path.of(System.getProperty("groupcast.jar", "target/groupcast.jar"));
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar + " is missing: run mvn package first");
    }
    return jar;
  }

  /** Starts the jar with {@code GROUPCAST_*} variables; output goes to target/it-logs/NAME.log. */
  public static JarProcess start(String name, Map<String, String> env, String... args) {
    return start(name, env, List.of(), "127.0.0.1", args);
  }

  /**
   * The same, the command behind {@code launcher} (e.g. {@code ip netns exec NS}, which keeps the
   * process id), reached at {@code host}.
   */
  public static JarProcess start(String name, Map<String, String> env, List<String> launcher, String host,
                                 String... args) {
    try {
      Path logDir = Path.of("target", "it-logs");
      Files.createDirectories(logDir);
      Path log = logDir.resolve(name + ".log");
      List<String> command = new ArrayList<>(launcher);
      command.addAll(List.of(javaBinary(), "-Xmx" + System.getProperty("groupcast.it.heap", "256m"), "-jar",
          jar().toString()));
      command.addAll(List.of(args));
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      pb.environment().keySet().removeIf(k -> k.startsWith("GROUPCAST_"));
      pb.environment().putAll(env);
      // a proxy-only process has no gateway of its own: it is ready when it forwards to one
      boolean proxyOnly = "proxy".equals(env.get("GROUPCAST_ROLES"));
      int port = Integer.parseInt(proxyOnly ? env.getOrDefault("GROUPCAST_PROXY_PORT", "8000")
          : env.getOrDefault("GROUPCAST_HTTP_PORT", "8080"));
      return new JarProcess(name, env, launcher, pb.start(), log, host, port);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Runs the jar to completion: exit code and everything it wrote to stderr. */
  public static Result run(Map<String, String> env, String... args) throws IOException, InterruptedException {
    return run(List.of(), env, args);
  }

  /**
   * Runs the jar with JVM options to completion. Besides the output it tells how long the process took
   * and how long it lived after its first line on stderr (an error should be followed by the exit).
   */
  public static Result run(List<String> jvmOptions, Map<String, String> env, String... args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(javaBinary()));
    command.addAll(jvmOptions);
    command.addAll(List.of("-jar", jar().toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().keySet().removeIf(k -> k.startsWith("GROUPCAST_"));
    pb.environment().putAll(env);
    long started = System.nanoTime();
    Process p = pb.start();
    p.getOutputStream().close();
    StringBuilder out = new StringBuilder();
    StringBuilder err = new StringBuilder();
    long[] firstErrorAt = {0};
    Thread outReader = drain(p.getInputStream(), out, null);
    Thread errReader = drain(p.getErrorStream(), err, firstErrorAt);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("groupcast did not exit within 60 s; stderr so far: " + err);
    }
    long exited = System.nanoTime();
    outReader.join(5000);
    errReader.join(5000);
    long afterError;
    synchronized (firstErrorAt) {
      afterError = firstErrorAt[0] == 0 ? -1 : (exited - firstErrorAt[0]) / 1_000_000;
    }
    return new Result(p.exitValue(), out.toString(), err.toString(), (exited - started) / 1_000_000, afterError);
  }

  private static Thread drain(java.io.InputStream in, StringBuilder into, long[] firstAt) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[8192];
      try {
        for (int n; (n = in.read(buf)) > 0; ) {
          if (firstAt != null) {
            synchronized (firstAt) {
              if (firstAt[0] == 0) {
                firstAt[0] = System.nanoTime();
              }
            }
          }
          synchronized (into) {
            into.append(new String(buf, 0, n));
          }
        }
      } catch (IOException ignored) {
        // the process is gone
      }
    }, "jar-output");
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** {@code ms}: from start to exit; {@code msAfterStderr}: from its first stderr output to exit (-1: none). */
  public record Result(int exitCode, String stdout, String stderr, long ms, long msAfterStderr) {
  }

  private static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** Polls {@code /health/ready} until it answers 200; fails if the process exits or time runs out. */
  public Future<Void> ready(Vertx vertx, long timeoutMs) {
    WebClient http = WebClient.create(vertx);
    Promise<Void> ready = Promise.promise();
    long deadline = System.currentTimeMillis() + timeoutMs;
    poll(vertx, http, ready, deadline);
    return ready.future().onComplete(ar -> http.close());
  }

  private void poll(Vertx vertx, WebClient http, Promise<Void> ready, long deadline) {
    http.get(httpPort, host, "/health/ready").send().onComplete(ar -> {
      if (ar.succeeded() && ar.result().statusCode() == 200) {
        ready.complete();
      } else if (!process.isAlive()) {
        ready.fail(name + " exited with " + process.exitValue() + "; see " + log);
      } else if (System.currentTimeMillis() > deadline) {
        ready.fail(name + " not ready in time; see " + log);
      } else {
        vertx.setTimer(100, id -> poll(vertx, http, ready, deadline));
      }
    });
  }

  /** The same node started again: same name, environment, place and ports. */
  public JarProcess restart() {
    return start(name, env, launcher, host);
  }

  /** SIGSTOP: the process freezes (a long GC pause, a throttled container) until {@link #unpause}. */
  public void pause() throws IOException, InterruptedException {
    signal("STOP");
  }

  /** SIGCONT. */
  public void unpause() throws IOException, InterruptedException {
    signal("CONT");
  }

  private void signal(String name) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + name, String.valueOf(process.pid())).start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IOException("kill -" + name + " " + process.pid() + " failed");
    }
  }

  public long pid() {
    return process.pid();
  }

  public String name() {
    return name;
  }

  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** SIGTERM, and the exit code once it is gone. */
  public int terminate() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(name + " did not stop within 30 s of SIGTERM");
    }
    return process.exitValue();
  }

  public String log() throws IOException {
    return Files.readString(log);
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }
}
