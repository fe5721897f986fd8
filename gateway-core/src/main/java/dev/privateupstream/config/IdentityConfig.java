package dev.privateupstream.config;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * {@code signalr.identity} or {@code webpubsub.identity}: the Microsoft Entra ID access token the service
 * sends in {@code Authorization} and how it is verified (SPEC §13).
 *
 * @param tenantId the tenant the token's {@code tid} must name, lower case
 * @param audiences the accepted {@code aud} values (the upstream auth setting's {@code resource}); not empty
 * @param allowedCallers the object or client ids ({@code oid}, {@code appid}, {@code azp}) of the service's
 *        managed identity, lower case; not empty
 * @param issuers the accepted {@code iss} values, compared exactly; by default the tenant's v1 and v2 issuers
 * @param jwksUrl where the signing keys are fetched
 * @param clockSkew how far {@code exp} and {@code nbf} may be off
 */
public record IdentityConfig(
        String tenantId,
        List<String> audiences,
        List<String> allowedCallers,
        List<String> issuers,
        URI jwksUrl,
        Duration clockSkew) {

    public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofMinutes(5);

    public IdentityConfig {
        requireNonNull(tenantId, "tenantId");
        audiences = List.copyOf(audiences);
        allowedCallers = List.copyOf(allowedCallers);
        issuers = List.copyOf(issuers);
        requireNonNull(jwksUrl, "jwksUrl");
        requireNonNull(clockSkew, "clockSkew");
        if (audiences.isEmpty() || allowedCallers.isEmpty() || issuers.isEmpty()) {
            throw new IllegalArgumentException("audiences, allowedCallers and issuers: expected at least one each");
        }
    }

    /** The issuers a tenant's tokens carry: v1 ({@code sts.windows.net}) and v2 ({@code login.microsoftonline.com}). */
    public static List<String> defaultIssuers(String tenantId) {
        return List.of("https://sts.windows.net/" + tenantId + "/",
                "https://login.microsoftonline.com/" + tenantId + "/v2.0");
    }

    /** Where the tenant's signing keys are published. */
    public static URI defaultJwksUrl(String tenantId) {
        return URI.create("https://login.microsoftonline.com/" + tenantId + "/discovery/v2.0/keys");
    }
}
