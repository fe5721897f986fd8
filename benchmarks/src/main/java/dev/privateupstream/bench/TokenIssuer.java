package dev.privateupstream.bench;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/**
 * A stand-in for Microsoft Entra ID in the benchmarks (SPEC §13): one RSA 2048 signing key, published as a
 * JWKS by a JDK {@link HttpServer} on 127.0.0.1 (port chosen by the system), and the access tokens it signs
 * with that key. The tokens have the shape of the v1 tokens a managed identity gets for Azure SignalR's
 * upstream auth, with the claims such a token carries ({@code aio}, {@code rh}, {@code xms_mirid}...), so that
 * the {@code Authorization} header is as long as the one the service sends (1.5 KB): the gateway reads,
 * copies, compares or hashes the whole value.
 */
final class TokenIssuer implements AutoCloseable {
    static final String TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    static final String AUDIENCE = "api://contoso-gateway";
    /** The object id of the service's managed identity: the token's {@code oid}, the allowed caller. */
    static final String CALLER = "6b0e1d3c-4f2a-4c8e-9d61-2f7a0b5c3e19";
    /** Its client id: the token's {@code appid}. */
    private static final String CLIENT = "0c9a3f7e-81d2-4b6a-a5e4-7d3b2c1f0e98";

    private final RSAKey key;
    private final String jwks;
    private final HttpServer server;

    /** Generates the key and starts serving its JWKS at {@link #jwksUrl()}. */
    TokenIssuer() {
        try {
            key = new RSAKeyGenerator(2048).keyID("bench-kid-Yb2Xo9VwqZ4rU1").keyUse(KeyUse.SIGNATURE)
                    .generate();
        } catch (JOSEException e) {
            throw new IllegalStateException("RSA key: " + e, e);
        }
        jwks = new JWKSet(key.toPublicJWK()).toString();
        final byte[] document = jwks.getBytes(StandardCharsets.UTF_8);
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/discovery/v2.0/keys", exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, document.length);
            try (OutputStream body = exchange.getResponseBody()) {
                body.write(document);
            }
        });
        server.start();
    }

    /** The key set document served, for benchmarks that load it without a fetch. */
    String jwks() {
        return jwks;
    }

    /** Where the key set is served. */
    URI jwksUrl() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/discovery/v2.0/keys");
    }

    /** A token for {@link #AUDIENCE} from {@link #CALLER} in {@link #TENANT}, valid from now for {@code life}. */
    String token(Duration life) {
        final Instant now = Instant.now();
        final String issuer = "https://sts.windows.net/" + TENANT + "/";
        final JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .audience(AUDIENCE)
                .issuer(issuer)
                .issueTime(Date.from(now))
                .notBeforeTime(Date.from(now))
                .expirationTime(Date.from(now.plus(life)))
                .claim("aio", "k2BgYDi4dHqXm2Pz/1uSfXn+L7vA3bQ2c9Kw8sYtRjE0hN5gZ6mV1oC4pU7iB3eD9fG2aH8jK0lM=")
                .claim("appid", CLIENT)
                .claim("appidacr", "2")
                .claim("idp", issuer)
                .claim("idtyp", "app")
                .claim("oid", CALLER)
                .claim("rh", "0.AXkAv4j5cvGGr0GRqy180BHbR7yMCiX0mvpFh1S7sTvs4KR5AAA.")
                .subject(CALLER)
                .claim("tid", TENANT)
                .claim("uti", "pQ3rS8tU9vW0xY1zA2bC3d")
                .claim("ver", "1.0")
                .claim("xms_idrel", "7 28")
                .claim("xms_mirid", "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/bench/"
                        + "providers/Microsoft.SignalRService/SignalR/contoso-signalr")
                .claim("xms_tcdt", 1289241547)
                .build();
        final SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).type(JOSEObjectType.JWT)
                .keyID(key.getKeyID()).build(), claims);
        try {
            jwt.sign(new RSASSASigner(key));
        } catch (JOSEException e) {
            throw new IllegalStateException("signing: " + e, e);
        }
        return jwt.serialize();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
