package dev.groupcast.group;

import dev.groupcast.error.ProtocolException;
import dev.groupcast.error.ErrorCode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FramesTest {

  @ParameterizedTest(name = "[{index}] \"{0}\"")
  @ValueSource(strings = {"", " ", "not json", "{", "[]", "[1,2]", "42", "\"join\"", "null", "true",
      "{\"type\":\"join\"", "{\"type\":\"join\",}", "{'type':'ping'}"})
  void unparseableOrNonObjectFramesAreBadRequests(String text) {
    ProtocolException e = assertThrows(ProtocolException.class, () -> Frames.decode(text));
    assertEquals(ErrorCode.BAD_REQUEST, e.code());
    assertNull(e.requestId());
  }

  @Test
  void deeplyNestedJsonIsABadRequestNotACrash() {
    String deep = "{\"type\":\"publish\",\"group\":\"g\",\"body\":" + "[".repeat(5000) + "]".repeat(5000) + "}";
    assertEquals(ErrorCode.BAD_REQUEST, assertThrows(ProtocolException.class, () -> Frames.decode(deep)).code());
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', value = {
      "{}                                                   | bad_request",
      "{\"type\":null}                                      | bad_request",
      "{\"type\":7}                                         | bad_request",
      "{\"type\":[\"join\"]}                                | bad_request",
      "{\"type\":\"subscribe\",\"id\":1}                    | unknown_type",
      "{\"type\":\"JOIN\",\"group\":\"g\"}                  | unknown_type",
      "{\"type\":\"join\",\"id\":1}                         | bad_request",
      "{\"type\":\"join\",\"group\":5,\"id\":1}             | bad_request",
      "{\"type\":\"join\",\"group\":\"\",\"id\":1}          | invalid_group",
      "{\"type\":\"join\",\"group\":\"a b\",\"id\":1}       | invalid_group",
      "{\"type\":\"join\",\"group\":\"é\",\"id\":1}         | invalid_group",
      "{\"type\":\"join\",\"group\":\"a/b\",\"id\":1}       | invalid_group",
      "{\"type\":\"join\",\"group\":\"g\",\"since\":-1,\"id\":1}      | bad_request",
      "{\"type\":\"join\",\"group\":\"g\",\"since\":1.5,\"id\":1}     | bad_request",
      "{\"type\":\"join\",\"group\":\"g\",\"since\":\"3\",\"id\":1}   | bad_request",
      "{\"type\":\"join\",\"group\":\"g\",\"since\":1e30,\"id\":1}    | bad_request",
      "{\"type\":\"join\",\"group\":\"g\",\"epoch\":7,\"id\":1}       | bad_request",
      "{\"type\":\"join\",\"group\":\"g\",\"epoch\":\"\",\"id\":1}      | bad_request",
      "{\"type\":\"publish\",\"group\":\"g\",\"body\":1,\"key\":\"\",\"id\":1}  | bad_request",
      "{\"type\":\"publish\",\"group\":\"g\",\"body\":1,\"key\":9,\"id\":1}   | bad_request",
      "{\"type\":\"join\",\"group\":\"g\",\"since\":99999999999999999999999,\"id\":1} | bad_request",
      "{\"type\":\"leave\",\"id\":1}                        | bad_request",
      "{\"type\":\"publish\",\"group\":\"g\",\"id\":1}      | bad_request",
      "{\"type\":\"publish\",\"body\":1,\"id\":1}           | bad_request",
      "{\"type\":\"publish\",\"group\":\"a*\",\"body\":1,\"id\":1} | invalid_group",
  })
  void invalidRequestsGetTheirCodeAndKeepTheirId(String text, String code) {
    ProtocolException e = assertThrows(ProtocolException.class, () -> Frames.decode(text));
    assertEquals(code, e.code().code());
    if (text.contains("\"id\":1")) {
      assertEquals(1, e.requestId());
    }
  }

  @Test
  void idOfTheWrongTypeIsRefusedWithoutEcho() {
    ProtocolException e = assertThrows(ProtocolException.class,
        () -> Frames.decode("{\"type\":\"ping\",\"id\":{\"x\":1}}"));
    assertEquals(ErrorCode.BAD_REQUEST, e.code());
    assertNull(e.requestId());
  }

  @Test
  void groupNamesOfEveryAllowedCharacterAndMaximumLength() {
    assertTrue(GroupNames.isValid("Aa0._:-"));
    assertTrue(GroupNames.isValid("x".repeat(128)));
    assertFalse(GroupNames.isValid("x".repeat(129)));
    assertEquals(ErrorCode.INVALID_GROUP, assertThrows(ProtocolException.class,
        () -> Frames.decode("{\"type\":\"join\",\"group\":\"" + "x".repeat(129) + "\"}")).code());
  }

  @Test
  void validRequestsDecode() {
    Frames.Join join = assertInstanceOf(Frames.Join.class,
        Frames.decode("{\"type\":\"join\",\"group\":\"judges\",\"id\":\"a\",\"since\":12}"));
    assertEquals("judges", join.group());
    assertEquals("a", join.id());
    assertEquals(12L, join.since());
    assertNull(assertInstanceOf(Frames.Join.class, Frames.decode("{\"type\":\"join\",\"group\":\"g\"}")).since());

    Frames.Publish pub = assertInstanceOf(Frames.Publish.class,
        Frames.decode("{\"type\":\"publish\",\"group\":\"g\",\"body\":null,\"extra\":true}"));
    assertNull(pub.body());
    assertNull(pub.id());
    assertEquals(new JsonObject().put("score", 9.5), assertInstanceOf(Frames.Publish.class,
        Frames.decode("{\"type\":\"publish\",\"group\":\"g\",\"body\":{\"score\":9.5},\"id\":3}")).body());
    assertInstanceOf(Frames.Leave.class, Frames.decode("{\"type\":\"leave\",\"group\":\"g\"}"));
    assertEquals("k-1", assertInstanceOf(Frames.Publish.class,
        Frames.decode("{\"type\":\"publish\",\"group\":\"g\",\"body\":1,\"key\":\"k-1\"}")).key());
    Frames.Join resume = assertInstanceOf(Frames.Join.class,
        Frames.decode("{\"type\":\"join\",\"group\":\"g\",\"since\":4,\"epoch\":\"e1\"}"));
    assertEquals("e1", resume.epoch());
    assertEquals(4L, resume.since());
    assertEquals(7, assertInstanceOf(Frames.Ping.class, Frames.decode("{\"type\":\"ping\",\"id\":7}")).id());
  }

  @Test
  void outboundFramesHaveTheContractShape() {
    assertEquals(new JsonObject("{\"type\":\"welcome\",\"session\":\"s1\",\"node\":\"n1\"}"),
        new JsonObject(Frames.welcome("s1", "n1").text()));
    assertEquals(new JsonObject("{\"type\":\"joined\",\"group\":\"g\",\"id\":\"j\",\"epoch\":\"e1\",\"seq\":4}"),
        new JsonObject(Frames.joined("j", "g", "e1", 4, null).text()));
    assertEquals(new JsonObject("{\"type\":\"joined\",\"group\":\"g\",\"epoch\":\"e1\",\"seq\":4,\"recovered\":false}"),
        new JsonObject(Frames.joined(null, "g", "e1", 4, false).text()));
    assertEquals(new JsonObject("{\"type\":\"reset\",\"group\":\"g\",\"epoch\":\"e2\",\"seq\":12}"),
        new JsonObject(Frames.reset("g", "e2", 12).text()));
    assertEquals(new JsonObject("{\"type\":\"left\",\"group\":\"g\",\"id\":2}"),
        new JsonObject(Frames.left(2, "g").text()));
    assertEquals(new JsonObject("{\"type\":\"ack\",\"id\":2,\"group\":\"g\",\"seq\":9}"),
        new JsonObject(Frames.ack(2, "g", 9, false).text()));
    assertEquals(new JsonObject("{\"type\":\"ack\",\"id\":2,\"group\":\"g\",\"seq\":9,\"duplicate\":true}"),
        new JsonObject(Frames.ack(2, "g", 9, true).text()));
    assertEquals(new JsonObject("{\"type\":\"pong\",\"id\":2}"), new JsonObject(Frames.pong(2).text()));
    assertEquals(new JsonObject("{\"type\":\"error\",\"id\":2,\"code\":\"invalid_group\",\"message\":\"m\"}"),
        new JsonObject(Frames.error(2, ErrorCode.INVALID_GROUP, "m").text()));
    assertEquals(new JsonObject("{\"type\":\"message\",\"group\":\"g\",\"seq\":3,\"from\":\"s\",\"body\":[1],\"ts\":5}"),
        new JsonObject(Frames.message("g", 3, "s", "[1]", 5).text()));
    assertEquals("we \"quote\"", new JsonObject(Frames.message("g", 3, "we \"quote\"", "1", 5).text()).getString("from"),
        "a from of any text is escaped");
  }

  @Test
  void utf8LengthCheckCountsBytesNotChars() {
    assertFalse(Session.exceedsUtf8("a".repeat(100), 100));
    assertTrue(Session.exceedsUtf8("a".repeat(101), 100));
    assertTrue(Session.exceedsUtf8("é".repeat(51), 100));
    assertFalse(Session.exceedsUtf8("é".repeat(50), 100));
    assertTrue(Session.exceedsUtf8("€".repeat(34), 100));
    assertFalse(Session.exceedsUtf8("😀".repeat(25), 100));
    assertTrue(Session.exceedsUtf8("😀".repeat(26), 100));
  }
}
