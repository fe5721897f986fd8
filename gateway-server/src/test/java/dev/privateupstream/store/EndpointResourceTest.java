package dev.privateupstream.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.privateupstream.endpoint.EndpointStatus;
import dev.privateupstream.endpoint.LinkId;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.net.IpPrefix;
import java.util.List;
import org.junit.jupiter.api.Test;

class EndpointResourceTest {

    @Test
    void hasTheShapeOfTheCloudApi() {
        final ObjectNode resource = EndpointResource.of(new SharedPrivateEndpoint("contoso-func-spe", "sites",
                "/subscriptions/x", "please approve", EndpointStatus.PENDING, null,
                List.of(IpPrefix.parse("10.1.0.4"), IpPrefix.parse("10.1.0.0/28"), IpPrefix.parse("fd00::1")),
                new LinkId(520093697)));
        assertThat(resource.toString()).isEqualTo("{\"name\":\"contoso-func-spe\",\"properties\":{"
                + "\"groupId\":\"sites\",\"privateLinkResourceId\":\"/subscriptions/x\","
                + "\"requestMessage\":\"please approve\",\"privateIps\":[\"10.1.0.4\",\"10.1.0.0/28\",\"fd00::1\"],"
                + "\"linkId\":520093697,\"status\":\"Pending\",\"description\":\"\",\"provisioningState\":\"Succeeded\"}}");
    }

    @Test
    void alwaysHasPrivateIpsAndHasLinkIdOnlyWhenDeclared() {
        final ObjectNode byLink = EndpointResource.of(new SharedPrivateEndpoint("a", "sites", "r", null,
                EndpointStatus.APPROVED, "ok", List.of(), new LinkId(1)));
        assertThat(byLink.get("properties").get("privateIps").isArray()).isTrue();
        assertThat(byLink.get("properties").get("privateIps")).isEmpty();
        final ObjectNode byIp = EndpointResource.of(new SharedPrivateEndpoint("b", "sites", "r", null,
                EndpointStatus.APPROVED, "ok", List.of(IpPrefix.parse("10.0.0.1")), null));
        assertThat(byIp.get("properties").has("linkId")).isFalse();
    }
}
