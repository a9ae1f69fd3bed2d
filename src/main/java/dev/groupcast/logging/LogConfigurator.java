package dev.groupcast.logging;

import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import net.logstash.logback.encoder.LogstashEncoder;
import org.slf4j.LoggerFactory;
import java.util.Iterator;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;

import java.util.Map;

/**
 * groupcast's default logging, set up in code (found by logback through {@code META-INF/services}):
 * the same as {@code conf/logback.xml}, without the XML machinery that cost a fifth of a second of
 * every start. A logback file still wins: {@code -Dlogback.configurationFile=...}, or a
 * {@code logback.xml} / {@code logback-test.xml} on the class path (the tests' quiet one).
 */
public final class LogConfigurator extends ContextAwareBase implements Configurator {

  static final String FORMAT_ENV = "GROUPCAST_LOG_FORMAT";
  static final String PATTERN = "%d{HH:mm:ss.SSS} %-5level [%thread] %logger{24} - %msg%n";

  /** Levels below the root's INFO; the same list as conf/logback.xml. */
  static final Map<String, Level> LEVELS = Map.of(
      "com.hazelcast", Level.WARN,
      "com.hazelcast.internal.cluster.ClusterService", Level.INFO,
      "io.netty", Level.WARN,
      "io.vertx", Level.INFO,
      // a message that reaches a group subscription as it is being closed is expected, not a fault
      "io.vertx.core.eventbus.impl.MessageConsumerImpl", Level.ERROR,
      "com.hazelcast.cp.CPSubsystem", Level.ERROR,
      // groupcast turns the I/O balancer off on purpose (ClusterSetup): its "disabled" warning is not news
      "com.hazelcast.internal.networking.nio.iobalancer.IOBalancer", Level.ERROR);

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    if (System.getProperty(ContextInitializer.CONFIG_FILE_PROPERTY) != null
        || resource("logback-test.xml") || resource("logback.xml")) {
      return ExecutionStatus.NEUTRAL; // the file's configuration, read by logback's own configurator
    }
    ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
    console.setContext(context);
    console.setName("STDOUT");
    // the environment can ask for JSON before the configuration file is read, so no line is text
    console.setEncoder(encoder(context, "json".equals(System.getenv(FORMAT_ENV))));
    console.start();
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.INFO);
    root.addAppender(console);
    LEVELS.forEach((name, level) -> context.getLogger(name).setLevel(level));
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  /**
   * {@code log.format} once the configuration is read: every console or file appender of the root
   * logger gets the JSON (logstash) or the text encoder, whichever configuration set them up.
   */
  public static void useJson(boolean json) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    for (Iterator<Appender<ILoggingEvent>> it = context.getLogger(Logger.ROOT_LOGGER_NAME).iteratorForAppenders();
         it.hasNext(); ) {
      if (it.next() instanceof OutputStreamAppender<ILoggingEvent> out
          && (out.getEncoder() instanceof LogstashEncoder) != json) {
        out.stop();
        out.setEncoder(encoder(context, json));
        out.start();
      }
    }
  }

  private static Encoder<ILoggingEvent> encoder(LoggerContext context, boolean json) {
    if (json) {
      LogstashEncoder encoder = new LogstashEncoder();
      encoder.setContext(context);
      encoder.start();
      return encoder;
    }
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern(PATTERN);
    encoder.start();
    return encoder;
  }

  private static boolean resource(String name) {
    return LogConfigurator.class.getClassLoader().getResource(name) != null;
  }
}
