package dev.groupcast.auth;

import dev.groupcast.config.ConfigException;
import dev.groupcast.config.GroupcastConfig;
import dev.groupcast.error.ErrorCode;
import dev.groupcast.error.ProtocolException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.ext.auth.PubSecKeyOptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Turns a credential into an {@link Identity}: a JWT (HS256 with {@code auth.jwtSecret}, RS256 or
 * ES256 with {@code auth.jwtPublicKey}; expiry checked) or the {@code auth.apiKey}, which is an admin.
 */
public final class Authenticator {

  private final GroupcastConfig.Auth config;
  private final JWTAuth jwt;
  private final byte[] apiKey;

  public Authenticator(Vertx vertx, GroupcastConfig.Auth config) {
    this.config = config;
    this.apiKey = config.apiKey().isEmpty() ? null : config.apiKey().getBytes(StandardCharsets.UTF_8);
    if (!config.jwtConfigured()) {
      this.jwt = null;
      return;
    }
    JWTAuthOptions options = new JWTAuthOptions();
    if (!config.jwtSecret().isEmpty()) {
      options.addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(config.jwtSecret()));
    }
    if (!config.jwtPublicKey().isEmpty()) {
      String pem = pem(config.jwtPublicKey());
      options.addPubSecKey(new PubSecKeyOptions().setAlgorithm(algorithmOf(pem)).setBuffer(pem));
    }
    this.jwt = JWTAuth.create(vertx, options);
  }

  /** Reads and checks {@code auth.jwtPublicKey} before anything starts. @throws ConfigException */
  public static void checkKeys(GroupcastConfig.Auth config) {
    if (!config.jwtPublicKey().isEmpty()) {
      algorithmOf(pem(config.jwtPublicKey()));
    }
  }

  /** Whether any credential can be checked at all. */
  public boolean enabled() {
    return jwt != null || apiKey != null;
  }

  public boolean required() {
    return config.required();
  }

  /** Fails with {@code unauthorized} for a missing, malformed, expired or wrongly signed credential. */
  public Future<Identity> authenticate(String token) {
    if (token == null || token.isBlank()) {
      return Future.failedFuture(new ProtocolException(ErrorCode.UNAUTHORIZED, "a token is required"));
    }
    if (apiKey != null && MessageDigest.isEqual(apiKey, token.getBytes(StandardCharsets.UTF_8))) {
      return Future.succeededFuture(new Identity("api", GroupPatterns.ANY, GroupPatterns.ANY, true));
    }
    if (jwt == null) {
      return Future.failedFuture(new ProtocolException(ErrorCode.UNAUTHORIZED, "tokens are not accepted here"));
    }
    return jwt.authenticate(new TokenCredentials(token))
        .recover(e -> Future.failedFuture(new ProtocolException(ErrorCode.UNAUTHORIZED, "invalid or expired token")))
        .compose(user -> {
          try {
            return Future.succeededFuture(identity(user.principal()));
          } catch (ProtocolException e) {
            return Future.failedFuture(e);
          }
        });
  }

  /** {@code sub} becomes the user; {@code groups: {join: [...], publish: [...]}} the permissions (absent: any). */
  static Identity identity(JsonObject claims) {
    Object sub = claims.getValue("sub");
    if (!(sub instanceof String user) || user.isBlank()) {
      throw new ProtocolException(ErrorCode.UNAUTHORIZED, "the token has no sub");
    }
    Object groups = claims.getValue("groups");
    GroupPatterns join = GroupPatterns.ANY;
    GroupPatterns publish = GroupPatterns.ANY;
    if (groups != null) {
      if (!(groups instanceof JsonObject g)) {
        throw new ProtocolException(ErrorCode.UNAUTHORIZED, "the groups claim must be {\"join\":[...],\"publish\":[...]}");
      }
      join = patterns(g.getValue("join"));
      publish = patterns(g.getValue("publish"));
    }
    return new Identity(user, join, publish, Boolean.TRUE.equals(claims.getValue("admin")));
  }

  private static GroupPatterns patterns(Object value) {
    List<String> list = new ArrayList<>();
    if (value instanceof JsonArray arr) {
      for (Object o : arr) {
        if (o instanceof String s) {
          list.add(s);
        }
      }
    }
    return new GroupPatterns(list); // absent or empty: nothing allowed
  }

  private static String pem(String keyOrFile) {
    if (keyOrFile.contains("-----BEGIN")) {
      return keyOrFile;
    }
    try {
      return Files.readString(Path.of(keyOrFile));
    } catch (IOException e) {
      throw new ConfigException("auth.jwtPublicKey = \"" + keyOrFile + "\": not a PEM key nor a readable file");
    }
  }

  /** RS256 for an RSA key, ES256 for an EC key. */
  private static String algorithmOf(String pem) {
    String base64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    byte[] der;
    try {
      der = Base64.getDecoder().decode(base64);
    } catch (IllegalArgumentException e) {
      throw new ConfigException("auth.jwtPublicKey: not a PEM public key");
    }
    for (String[] candidate : new String[][] {{"RSA", "RS256"}, {"EC", "ES256"}}) {
      try {
        KeyFactory.getInstance(candidate[0]).generatePublic(new X509EncodedKeySpec(der));
        return candidate[1];
      } catch (Exception ignored) {
        // try the next key type
      }
    }
    throw new ConfigException("auth.jwtPublicKey: not an RSA or EC public key in PEM");
  }
}
