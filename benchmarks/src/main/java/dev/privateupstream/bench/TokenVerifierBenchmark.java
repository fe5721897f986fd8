package dev.privateupstream.bench;

import dev.privateupstream.config.IdentityConfig;
import dev.privateupstream.identity.KeySet;
import dev.privateupstream.identity.TokenCheck;
import dev.privateupstream.identity.TokenVerifier;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The token check of SPEC §13 alone, {@link TokenVerifier#check}, on the {@code Authorization} value the
 * service sends (a 1.5 KB Entra ID access token from a {@link TokenIssuer}), to take apart what
 * {@code PipelineBenchmark}'s {@code identity} case pays per call.
 *
 * <p>{@link #copyHeader} is the {@code String} the handler gets from the decoded header per call (the head
 * is decoded afresh for every request, so the value is a new string each time): a 1.5 KB copy.
 * {@link #checkCached} is a token already verified, checked again from such a fresh string: it is found in
 * the verifier's cache, but only after its hash was computed anew over 1.5 KB of characters (the JDK keeps a
 * string's hash, but this string is new). That is what a call pays when the handler does not recognise the
 * connection's previous token itself. {@link #checkCachedSameString} checks the very same string every time,
 * whose hash the JDK kept: the difference to {@link #checkCached} is the copy and the hashing.
 * {@link #checkFirstTime} is a token's first check (parse, RS256 signature, claims), paid once per token and
 * verifier.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class TokenVerifierBenchmark {
    private TokenIssuer issuer;
    private IdentityConfig config;
    private KeySet keys;
    private TokenVerifier verifier;
    private String authorization;
    private byte[] header;

    @Setup
    public void setUp() {
        issuer = new TokenIssuer();
        config = new IdentityConfig(TokenIssuer.TENANT, List.of(TokenIssuer.AUDIENCE), List.of(TokenIssuer.CALLER),
                IdentityConfig.defaultIssuers(TokenIssuer.TENANT), issuer.jwksUrl(), IdentityConfig.DEFAULT_CLOCK_SKEW);
        keys = KeySet.parse(issuer.jwks());
        verifier = new TokenVerifier(config);
        authorization = "Bearer " + issuer.token(Duration.ofHours(24));
        header = authorization.getBytes(StandardCharsets.US_ASCII);
        final TokenCheck check = verifier.check(authorization, keys);
        if (check.verdict() != TokenCheck.Verdict.VALID) {
            throw new IllegalStateException("token not valid: " + check);
        }
    }

    @TearDown
    public void tearDown() {
        issuer.close();
    }

    @Benchmark
    public String copyHeader() {
        return new String(header, StandardCharsets.ISO_8859_1);
    }

    @Benchmark
    public TokenCheck checkCached() {
        return verifier.check(new String(header, StandardCharsets.ISO_8859_1), keys);
    }

    @Benchmark
    public TokenCheck checkCachedSameString() {
        return verifier.check(authorization, keys);
    }

    @Benchmark
    public TokenCheck checkFirstTime() {
        return new TokenVerifier(config).check(authorization, keys);
    }
}
