package dev.groupcast.group;

import dev.groupcast.error.ProtocolException;
import dev.groupcast.auth.GroupPatterns;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** Property tests: the decoder answers any input with a request or a protocol error, never a crash. */
class FramesPropertiesTest {

  @Property(tries = 3000)
  void anyTextDecodesOrGetsAnError(@ForAll String text) {
    decodeOrError(text);
  }

  @Property(tries = 3000)
  void nearlyValidFramesDecodeOrGetAnErrorWithTheirId(@ForAll("frames") JsonObject frame) {
    try {
      Frames.Request r = Frames.decode(frame.encode());
      assertNotNull(r);
    } catch (ProtocolException e) {
      assertNotNull(e.code());
      Object id = frame.getValue("id");
      if (id instanceof String || id instanceof Integer) {
        assertEquals(id, e.requestId(), "a usable id is echoed with the error");
      }
    }
  }

  @Property(tries = 3000)
  void groupNamesAreExactlyTheDocumentedAlphabet(@ForAll String name) {
    assertEquals(name.matches("[A-Za-z0-9._:-]{1,128}"), GroupNames.isValid(name));
  }

  @Property(tries = 2000)
  void groupPatternsMatchLikeTheirGlob(@ForAll("patterns") String pattern, @ForAll("names") String name) {
    String regex = ("\\Q" + pattern.replace("*", "\\E.*\\Q") + "\\E");
    assertEquals(name.matches(regex), new GroupPatterns(List.of(pattern)).matches(name));
  }

  private static void decodeOrError(String text) {
    try {
      assertNotNull(Frames.decode(text));
    } catch (ProtocolException e) {
      assertNotNull(e.code());
    }
  }

  @Provide
  Arbitrary<JsonObject> frames() {
    Arbitrary<Object> type = Arbitraries.oneOf(Arbitraries.of("join", "leave", "publish", "ping", "auth"),
        Arbitraries.strings().ofMaxLength(8), Arbitraries.integers(), Arbitraries.just(null));
    Arbitrary<Object> group = Arbitraries.oneOf(Arbitraries.strings().withChars("abcXYZ019._:-").ofMinLength(1).ofMaxLength(20),
        Arbitraries.strings().ofMaxLength(140), Arbitraries.integers(), Arbitraries.just(null));
    Arbitrary<Object> since = Arbitraries.oneOf(Arbitraries.longs(), Arbitraries.doubles(),
        Arbitraries.strings().ofMaxLength(5), Arbitraries.just(null));
    Arbitrary<Object> id = Arbitraries.oneOf(Arbitraries.integers(), Arbitraries.strings().ofMaxLength(10),
        Arbitraries.just(new JsonArray().add(1)), Arbitraries.just(null));
    Arbitrary<Object> body = Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(20), Arbitraries.integers(),
        Arbitraries.just(new JsonObject().put("k", "v")), Arbitraries.just(null));
    Arbitrary<Boolean> withBody = Arbitraries.of(true, false);
    return Combinators.combine(type, group, since, id, body, withBody).as((t, g, s, i, b, wb) -> {
      JsonObject f = new JsonObject().put("type", t).put("group", g).put("since", s).put("id", i);
      if (wb) {
        f.put("body", b);
      }
      if (i instanceof String str && str.length() % 2 == 0) {
        f.put("token", str);
      }
      return f;
    });
  }

  @Provide
  Arbitrary<String> patterns() {
    return Arbitraries.strings().withChars("ab.*:").ofMinLength(0).ofMaxLength(6);
  }

  @Provide
  Arbitrary<String> names() {
    return Arbitraries.strings().withChars("ab.:").ofMinLength(0).ofMaxLength(6);
  }
}
