package dev.privateupstream.testing;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Microsoft Entra ID access tokens as Azure SignalR and Web PubSub send them with managed-identity upstream auth,
 * signed by RSA keys this class makes, whose JWKS it serves on 127.0.0.1 (a JDK {@code HttpServer}, started on
 * first use) at {@code /TENANT/discovery/v2.0/keys}, the path Entra uses:
 *
 * <pre>{@code
 * @RegisterExtension static final EntraTokens entra = new EntraTokens();
 * String token = entra.v1().sign();                       // valid for entra.jwksUrl()
 * String other = entra.v2().claim("oid", "someone-else").sign();
 * entra.rotate(false);                                    // a new signer; the old key leaves the JWKS
 * }</pre>
 *
 * <p>{@link #v1()} and {@link #v2()} return builders prefilled with the claims of a managed identity's app-only
 * token ({@link #TENANT}, {@link #AUDIENCE}, {@link #CLIENT_ID}, {@link #OBJECT_ID}); any claim or header can be
 * changed or removed. The forgeries a verifier must refuse are ready-made: {@link #algNone}, {@link
 * #hs256WithPublicKey}, {@link #tamperedPayload}, {@link #oversized}. The server counts JWKS requests and can be
 * made to fail or to answer slowly. Registered as a static extension it stops after the class; otherwise close it.
 */
public final class EntraTokens implements AfterAllCallback, AutoCloseable {
    /** The tenant of SPEC §13's example. */
    public static final String TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    /** The upstream auth setting's resource: what {@code aud} carries. */
    public static final String AUDIENCE = "api://contoso-gateway";
    /** The managed identity's client (application) id: {@code appid} in v1 tokens, {@code azp} in v2. */
    public static final String CLIENT_ID = "6b0e1d3c-5a4f-4c1e-9d2b-7f8e9a0b1c2d";
    /** The managed identity's object (service principal) id: {@code oid} and {@code sub}. */
    public static final String OBJECT_ID = "0f9e8d7c-6b5a-4f3e-8d2c-1b0a9f8e7d6c";

    private static final SecureRandom RANDOM = new SecureRandom();

    private final String tenant;
    private final AtomicInteger jwksRequests = new AtomicInteger();
    private volatile RSAKey signer;
    private volatile List<RSAKey> published;
    private volatile int failStatus;
    private volatile Duration jwksDelay = Duration.ZERO;
    private HttpServer server;
    private ExecutorService executor;

    /** For {@link #TENANT}. */
    public EntraTokens() {
        this(TENANT);
    }

    public EntraTokens(String tenant) {
        this.tenant = requireNonNull(tenant, "tenant");
        signer = newKey();
        published = List.of(signer);
    }

    /** A fresh 2048-bit RSA signing key with a random {@code kid}, published nowhere. */
    public static RSAKey newKey() {
        final byte[] kid = new byte[15];
        RANDOM.nextBytes(kid);
        try {
            return new RSAKeyGenerator(2048).keyUse(KeyUse.SIGNATURE).keyID(Base64URL.encode(kid).toString())
                    .generate();
        } catch (JOSEException e) {
            throw new IllegalStateException("RSA key generation", e);
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    @Override
    public synchronized void close() {
        if (server != null) {
            server.stop(0);
            executor.shutdownNow();
            server = null;
        }
    }

    public String tenantId() {
        return tenant;
    }

    /** The v1 issuer, {@code https://sts.windows.net/TENANT/}. */
    public String v1Issuer() {
        return "https://sts.windows.net/" + tenant + "/";
    }

    /** The v2 issuer, {@code https://login.microsoftonline.com/TENANT/v2.0}. */
    public String v2Issuer() {
        return "https://login.microsoftonline.com/" + tenant + "/v2.0";
    }

    /** {@code http://127.0.0.1:PORT/TENANT/discovery/v2.0/keys}, starting the server on first use. */
    public synchronized URI jwksUrl() {
        if (server == null) {
            startServer();
        }
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/" + tenant + "/discovery/v2.0/keys");
    }

    /** The key that signs new tokens, private part included. */
    public RSAKey signingKey() {
        return signer;
    }

    public String currentKid() {
        return signer.getKeyID();
    }

    /** The keys the JWKS lists now, public parts only. */
    public List<RSAKey> publishedKeys() {
        return published.stream().map(RSAKey::toPublicJWK).toList();
    }

    /**
     * Makes a new key the signer and publishes it; the previous keys stay in the JWKS when {@code keepOld}
     * (Entra publishes the next key before it signs with it, and keeps the old one a while), else they leave it.
     *
     * @return the new key's {@code kid}
     */
    public String rotate(boolean keepOld) {
        final RSAKey next = newKey();
        final List<RSAKey> keys = new ArrayList<>();
        keys.add(next);
        if (keepOld) {
            keys.addAll(published);
        }
        published = List.copyOf(keys);
        signer = next;
        return next.getKeyID();
    }

    /** Lists {@code key} in the JWKS too, without signing with it (a key announced before its use). */
    public void publish(RSAKey key) {
        final List<RSAKey> keys = new ArrayList<>(published);
        keys.add(requireNonNull(key, "key"));
        published = List.copyOf(keys);
    }

    /** How many requests the JWKS endpoint has received. */
    public int jwksRequests() {
        return jwksRequests.get();
    }

    /** Answers JWKS requests with this status and no key set ({@code 0}: serve the keys again). */
    public void failJwks(int status) {
        failStatus = status;
    }

    /** Delays each JWKS answer (a slow key endpoint); {@link Duration#ZERO} to answer at once. */
    public void delayJwks(Duration delay) {
        jwksDelay = requireNonNull(delay, "delay");
    }

    /** The JWKS document as served now. */
    public String jwksJson() {
        return new JWKSet(new ArrayList<>(publishedKeys())).toString(true);
    }

    /** A v1 app-only token: {@code iss https://sts.windows.net/TENANT/}, {@code ver 1.0}, {@code appid}. */
    public Token v1() {
        final Token token = new Token(this).claim("iss", v1Issuer()).claim("ver", "1.0").claim("appid", CLIENT_ID)
                .claim("appidacr", "2");
        token.claim("idp", v1Issuer());
        return token;
    }

    /** A v2 app-only token: {@code iss https://login.microsoftonline.com/TENANT/v2.0}, {@code ver 2.0}, {@code azp}. */
    public Token v2() {
        return new Token(this).claim("iss", v2Issuer()).claim("ver", "2.0").claim("azp", CLIENT_ID)
                .claim("azpacr", "2");
    }

    /** The token's claims under {@code alg none} (with the current {@code kid}) and no signature: {@code header.payload.} */
    public String algNone(Token token) {
        final Map<String, Object> header = new LinkedHashMap<>();
        header.put("alg", "none");
        header.put("typ", "JWT");
        header.put("kid", currentKid());
        return Base64URL.encode(com.nimbusds.jose.util.JSONObjectUtils.toJSONString(header)) + "."
                + token.claimsSet().toPayload().toBase64URL() + ".";
    }

    /**
     * The token signed {@code HS256} with the signing key's public key (its X.509 encoding) as the HMAC secret,
     * {@code kid} the real one: the algorithm-confusion attack on verifiers that take the algorithm from the token.
     */
    public String hs256WithPublicKey(Token token) {
        try {
            final SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).type(JOSEObjectType.JWT)
                    .keyID(currentKid()).build(), token.claimsSet());
            jwt.sign(new MACSigner(signer.toRSAPublicKey().getEncoded()));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException("HS256 signing", e);
        }
    }

    /** The token signed properly, then its payload swapped for one with {@code claim} set to {@code value}. */
    public String tamperedPayload(Token token, String claim, Object value) {
        final String[] parts = token.sign().split("\\.");
        final JWTClaimsSet changed = new JWTClaimsSet.Builder(token.claimsSet()).claim(claim, value).build();
        return parts[0] + "." + changed.toPayload().toBase64URL() + "." + parts[2];
    }

    /**
     * A validly signed v1 token of {@code bytes} characters or up to 3 more (base64 grows in steps), padded with
     * a filler claim {@code pad}.
     */
    public String oversized(int bytes) {
        String token = v1().sign();
        // Each filler character adds 4/3 of a character to the payload: start just short, then step up.
        int padding = Math.max(0, (bytes - token.length()) * 3 / 4 - 8);
        while (token.length() < bytes) {
            token = v1().claim("pad", "x".repeat(padding)).sign();
            padding++;
        }
        return token;
    }

    private void startServer() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException("the JWKS server on 127.0.0.1", e);
        }
        executor = Executors.newFixedThreadPool(2, task -> {
            final Thread thread = new Thread(task, "entra-jwks");
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        server.createContext("/" + tenant + "/discovery/v2.0/keys", this::serveJwks);
        server.start();
    }

    private void serveJwks(HttpExchange exchange) throws IOException {
        try (exchange) {
            jwksRequests.incrementAndGet();
            final Duration delay = jwksDelay;
            if (!delay.isZero()) {
                try {
                    Thread.sleep(delay.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            final int status = failStatus;
            final byte[] body = (status == 0 ? jwksJson() : "{\"error\":\"failing on purpose\"}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
            exchange.sendResponseHeaders(status == 0 ? 200 : status, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    /**
     * One token being assembled: claims and header fields, each replaceable or removable; {@link #sign()} signs
     * it with the current key (or {@link #signedWith} another) and returns the compact form. Not shared.
     */
    public static final class Token {
        private final EntraTokens tokens;
        private final Map<String, Object> claims = new LinkedHashMap<>();
        private JWSAlgorithm alg = JWSAlgorithm.RS256;
        private String kid;
        private boolean kidSet;
        private String typ = "JWT";
        private final Map<String, Object> headerParams = new LinkedHashMap<>();
        private RSAKey key;

        private Token(EntraTokens tokens) {
            this.tokens = tokens;
            final Instant now = Instant.now();
            claims.put("aud", AUDIENCE);
            claims.put("iat", now.getEpochSecond());
            claims.put("nbf", now.getEpochSecond());
            claims.put("exp", now.plus(Duration.ofHours(1)).getEpochSecond());
            claims.put("oid", OBJECT_ID);
            claims.put("sub", OBJECT_ID);
            claims.put("tid", tokens.tenant);
            claims.put("idtyp", "app");
            claims.put("uti", UUID.randomUUID().toString().replace("-", ""));
        }

        /** Sets a claim (replacing the default); {@code Instant} values become seconds since the epoch. */
        public Token claim(String name, Object value) {
            claims.put(requireNonNull(name, "name"),
                    value instanceof Instant instant ? instant.getEpochSecond() : requireNonNull(value, "value"));
            return this;
        }

        /** Removes a claim, such as {@code exp} or {@code tid}. */
        public Token without(String name) {
            claims.remove(name);
            return this;
        }

        public Token audience(String audience) {
            return claim("aud", audience);
        }

        public Token issuer(String issuer) {
            return claim("iss", issuer);
        }

        public Token tenant(String tenant) {
            return claim("tid", tenant);
        }

        public Token objectId(String objectId) {
            return claim("oid", objectId);
        }

        /** {@code exp}, e.g. in the past for an expired token. */
        public Token expiresAt(Instant exp) {
            return claim("exp", exp);
        }

        /** {@code nbf}, e.g. in the future for a token not valid yet. */
        public Token notBefore(Instant nbf) {
            return claim("nbf", nbf);
        }

        /** The header's {@code alg}: another RSA algorithm (RS384, RS512, PS256) is signed as such. */
        public Token alg(JWSAlgorithm alg) {
            this.alg = requireNonNull(alg, "alg");
            return this;
        }

        /** The header's {@code kid}; {@code null} leaves it out. */
        public Token kid(String kid) {
            this.kid = kid;
            kidSet = true;
            return this;
        }

        public Token withoutKid() {
            return kid(null);
        }

        /** The header's {@code typ}; {@code null} leaves it out. */
        public Token typ(String typ) {
            this.typ = typ;
            return this;
        }

        /** A custom header parameter (Nimbus refuses registered names such as {@code x5t} or {@code jku} here). */
        public Token header(String name, Object value) {
            headerParams.put(requireNonNull(name, "name"), requireNonNull(value, "value"));
            return this;
        }

        /** Signs with this key instead of the current one; its {@code kid} goes in the header unless set. */
        public Token signedWith(RSAKey key) {
            this.key = requireNonNull(key, "key");
            return this;
        }

        public JWTClaimsSet claimsSet() {
            final JWTClaimsSet.Builder builder = new JWTClaimsSet.Builder();
            claims.forEach((name, value) -> builder.claim(name, switch (name) {
                case "exp", "nbf", "iat" -> value instanceof Number n ? new Date(n.longValue() * 1000) : value;
                default -> value;
            }));
            return builder.build();
        }

        /** The signed token, compact. */
        public String sign() {
            final RSAKey signingKey = key != null ? key : tokens.signer;
            final JWSHeader.Builder header = new JWSHeader.Builder(alg)
                    .keyID(kidSet ? kid : signingKey.getKeyID());
            if (typ != null) {
                header.type(new JOSEObjectType(typ));
            }
            headerParams.forEach(header::customParam);
            final SignedJWT jwt = new SignedJWT(header.build(), claimsSet());
            try {
                jwt.sign(new RSASSASigner(signingKey));
            } catch (JOSEException e) {
                throw new IllegalStateException("signing " + alg + " with " + signingKey.getKeyID(), e);
            }
            return jwt.serialize();
        }

        /** The claims a signed token would carry, parsed back, for assertions. */
        public JWTClaimsSet parsedClaims() {
            try {
                return SignedJWT.parse(sign()).getJWTClaimsSet();
            } catch (ParseException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
