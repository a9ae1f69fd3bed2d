package dev.groupcast.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.File;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LogConfiguratorTest {

  @Test
  void theExampleFileInConfSaysWhatTheCodeDoes() throws Exception {
    var doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(new File("conf/logback.xml"));
    NodeList loggers = doc.getElementsByTagName("logger");
    Map<String, Level> levels = new HashMap<>();
    for (int i = 0; i < loggers.getLength(); i++) {
      Element logger = (Element) loggers.item(i);
      levels.put(logger.getAttribute("name"), Level.toLevel(logger.getAttribute("level")));
    }
    assertEquals(LogConfigurator.LEVELS, levels);
    Element root = (Element) doc.getElementsByTagName("root").item(0);
    assertEquals("INFO", root.getAttribute("level"));
    assertEquals(LogConfigurator.PATTERN, doc.getElementsByTagName("pattern").item(0).getTextContent().trim());
  }

  @Test
  void aLogbackFileOnTheClassPathWins() {
    // the tests' logback-test.xml is on the class path: the configurator steps aside for it
    assertEquals(Configurator.ExecutionStatus.NEUTRAL, new LogConfigurator().configure(new LoggerContext()));
  }
}
