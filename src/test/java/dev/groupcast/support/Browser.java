package dev.groupcast.support;

import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.logging.Level;

/**
 * A headless Debian Chromium driven by Debian's chromedriver (packages {@code chromium},
 * {@code chromium-driver}; {@code .ci/run} installs them). Nothing is downloaded.
 */
public final class Browser implements AutoCloseable {

  public static final String CHROMIUM = System.getProperty("chromium.binary", "/usr/bin/chromium");
  public static final String CHROMEDRIVER = System.getProperty("chromedriver.binary", "/usr/bin/chromedriver");

  private final ChromeDriver driver;
  private final Path profile;

  private Browser(ChromeDriver driver, Path profile) {
    this.driver = driver;
    this.profile = profile;
  }

  public static Browser start() throws IOException {
    if (!new File(CHROMIUM).canExecute() || !new File(CHROMEDRIVER).canExecute()) {
      throw new IllegalStateException("headless Chromium needs Debian's chromium and chromium-driver "
          + "(apt-get install chromium chromium-driver; .ci/run does it)");
    }
    Path profile = Files.createTempDirectory("groupcast-chromium");
    ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM).addArguments(
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
        "--window-size=1000,800", "--user-data-dir=" + profile);
    // the console, errors and failed loads (a 404 favicon) included, for consoleErrors()
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File(CHROMEDRIVER)).usingAnyFreePort().build();
    return new Browser(new ChromeDriver(service, options), profile);
  }

  /** Resizes the window, e.g. to fit a whole page in a screenshot. */
  public Browser windowSize(int width, int height) {
    driver.manage().window().setSize(new org.openqa.selenium.Dimension(width, height));
    return this;
  }

  /** Runs a script in every page before the page's own scripts, e.g. to take WebSocket away. */
  public Browser beforeEveryPage(String script) {
    driver.executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", Map.of("source", script));
    return this;
  }

  public Browser open(String url) {
    driver.get(url);
    return this;
  }

  public String text(String cssSelector) {
    return driver.findElement(By.cssSelector(cssSelector)).getText();
  }

  public List<WebElement> all(String cssSelector) {
    return driver.findElements(By.cssSelector(cssSelector));
  }

  public void type(String cssSelector, String text) {
    WebElement e = driver.findElement(By.cssSelector(cssSelector));
    e.clear();
    e.sendKeys(text);
  }

  public void click(String cssSelector) {
    driver.findElement(By.cssSelector(cssSelector)).click();
  }

  public Object script(String js, Object... args) {
    return driver.executeScript(js, args);
  }

  /** Waits until the condition holds (polled), failing with the description after the timeout. */
  public <T> T waitFor(String description, Duration timeout, Function<Browser, T> condition) {
    return new WebDriverWait(driver, timeout, Duration.ofMillis(100))
        .withMessage(description)
        .until(d -> {
          T value = condition.apply(this);
          return value instanceof Boolean b && !b ? null : value;
        });
  }

  /**
   * What the pages logged to the console at level error since the last call: script errors, failed
   * requests (a missing favicon too), uncaught rejections.
   */
  public List<String> consoleErrors() {
    return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
        .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
        .map(e -> e.getMessage())
        .toList();
  }

  public void screenshot(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    File shot = driver.getScreenshotAs(OutputType.FILE);
    Files.copy(shot.toPath(), file, StandardCopyOption.REPLACE_EXISTING);
  }

  @Override
  public void close() {
    driver.quit();
    try (var files = Files.walk(profile)) {
      files.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a temporary profile left behind is harmless
    }
  }

  static {
    // Debian's chromedriver is given explicitly; Selenium Manager must not try to download one
    System.setProperty("webdriver.chrome.driver", CHROMEDRIVER);
  }
}
