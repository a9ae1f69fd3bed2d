package dev.groupcast.group;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The token bucket on a clock of the test's own: burst at once, then the rate, and refill with time. */
class PublishBudgetTest {

  private static final long SECOND = 1_000_000_000L;

  @Test
  void theBurstPassesThenTheRateAndItRefillsWithTime() {
    PublishBudget budget = new PublishBudget(5, 3);
    long t = System.nanoTime(); // the bucket starts full at its creation
    for (int i = 0; i < 3; i++) {
      assertTrue(budget.take(t), "the burst, at once");
    }
    assertFalse(budget.take(t), "then nothing at the same instant");
    assertFalse(budget.take(t + SECOND / 10), "half a token after 100 ms at 5 a second");
    assertTrue(budget.take(t + SECOND / 5), "one token after 200 ms");
    assertFalse(budget.take(t + SECOND / 5));
    long later = t + 10 * SECOND;
    for (int i = 0; i < 3; i++) {
      assertTrue(budget.take(later), "refilled up to the burst, no further");
    }
    assertFalse(budget.take(later));
  }

  @Test
  void rateZeroMeansNoLimit() {
    PublishBudget budget = new PublishBudget(0, 1);
    for (int i = 0; i < 10_000; i++) {
      assertTrue(budget.take(0));
    }
  }

  @Test
  void sayHowLongUntilTheNextToken() {
    PublishBudget b = new PublishBudget(100, 2); // a token every 10 ms
    long t0 = System.nanoTime();
    assertEquals(0L, b.nanosUntilToken(t0));
    b.take(t0);
    b.take(t0);
    assertEquals(10_000_000.0, b.nanosUntilToken(t0), 1_000);
    assertEquals(5_000_000.0, b.nanosUntilToken(t0 + 5_000_000L), 1_000);
    assertEquals(0L, b.nanosUntilToken(t0 + 10_000_000L));
    assertEquals(0L, new PublishBudget(0, 1).nanosUntilToken(t0), "no limit, no wait");
  }
}
