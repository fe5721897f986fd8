package dev.privateupstream.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.privateupstream.endpoint.LinkId;
import dev.privateupstream.net.IpPrefix;
import org.junit.jupiter.api.Test;

class EndpointPropertiesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String RESOURCE = "/subscriptions/0/resourceGroups/g/providers/Microsoft.Web/sites/f";

    private static JsonNode json(String text) throws Exception {
        return JSON.readTree(text.replace('\'', '"'));
    }

    private static String fieldOf(String body) throws Exception {
        final InvalidFieldException e = catchThrowableOfType(InvalidFieldException.class,
                () -> EndpointProperties.parse(json(body)));
        assertThat(e).as(body).isNotNull();
        return e.field();
    }

    @Test
    void readsEveryField() throws Exception {
        final EndpointProperties p = EndpointProperties.parse(json("{'properties':{'groupId':'sites',"
                + "'privateLinkResourceId':'" + RESOURCE + "','requestMessage':'please','description':'d',"
                + "'privateIps':['10.1.0.4',' 10.2.0.0/28 ','fd00::/8'],'linkId':4294967295}}"));
        assertThat(p.groupId()).isEqualTo("sites");
        assertThat(p.privateLinkResourceId()).isEqualTo(RESOURCE);
        assertThat(p.requestMessage()).isEqualTo("please");
        assertThat(p.description()).isEqualTo("d");
        assertThat(p.privateIps()).containsExactly(IpPrefix.parse("10.1.0.4"), IpPrefix.parse("10.2.0.0/28"),
                IpPrefix.parse("fd00::/8"));
        assertThat(p.linkId()).isEqualTo(new LinkId(4294967295L));
    }

    @Test
    void optionalFieldsMayBeAbsentOrNull() throws Exception {
        final EndpointProperties p = EndpointProperties.parse(json("{'properties':{'groupId':'sites',"
                + "'privateLinkResourceId':'r','requestMessage':null,'privateIps':null,'linkId':7}}"));
        assertThat(p.requestMessage()).isNull();
        assertThat(p.description()).isNull();
        assertThat(p.privateIps()).isEmpty();
        assertThat(p.linkId()).isEqualTo(new LinkId(7));
    }

    @Test
    void namesTheFieldAtFault() throws Exception {
        final String base = "'groupId':'sites','privateLinkResourceId':'r'";
        assertThat(fieldOf("{'properties':{" + base + ",'privateIps':['10.1.0.4','10.1.0.999']}}"))
                .isEqualTo("properties.privateIps[1]");
        assertThat(fieldOf("{'properties':{" + base + ",'privateIps':[4]}}")).isEqualTo("properties.privateIps[0]");
        assertThat(fieldOf("{'properties':{" + base + ",'privateIps':'10.1.0.4'}}")).isEqualTo("properties.privateIps");
        assertThat(fieldOf("{'properties':{" + base + "}}")).isEqualTo("properties.privateIps");
        assertThat(fieldOf("{'properties':{" + base + ",'privateIps':[]}}")).isEqualTo("properties.privateIps");
        assertThat(fieldOf("{'properties':{" + base + ",'linkId':-1}}")).isEqualTo("properties.linkId");
        assertThat(fieldOf("{'properties':{" + base + ",'linkId':4294967296}}")).isEqualTo("properties.linkId");
        assertThat(fieldOf("{'properties':{" + base + ",'linkId':'12'}}")).isEqualTo("properties.linkId");
        assertThat(fieldOf("{'properties':{" + base + ",'linkId':1.5}}")).isEqualTo("properties.linkId");
        assertThat(fieldOf("{'properties':{'privateLinkResourceId':'r','linkId':1}}")).isEqualTo("properties.groupId");
        assertThat(fieldOf("{'properties':{'groupId':7,'privateLinkResourceId':'r','linkId':1}}"))
                .isEqualTo("properties.groupId");
        assertThat(fieldOf("{'properties':{'groupId':'sites','linkId':1}}")).isEqualTo("properties.privateLinkResourceId");
        assertThat(fieldOf("{'properties':{" + base + ",'linkId':1,'requestMessage':{}}}"))
                .isEqualTo("properties.requestMessage");
        assertThat(fieldOf("{'properties':{" + base + ",'linkId':1,'description':true}}"))
                .isEqualTo("properties.description");
    }

    @Test
    void refusesReadOnlyAndUnknownFields() throws Exception {
        final String base = "'groupId':'sites','privateLinkResourceId':'r','linkId':1";
        assertThat(fieldOf("{'properties':{" + base + ",'status':'Approved'}}")).isEqualTo("properties.status");
        assertThat(fieldOf("{'properties':{" + base + ",'provisioningState':'Succeeded'}}"))
                .isEqualTo("properties.provisioningState");
        assertThat(fieldOf("{'properties':{" + base + ",'privateIP':'10.1.0.4'}}")).isEqualTo("properties.privateIP");
        assertThat(fieldOf("{'name':'x','properties':{" + base + "}}")).isEqualTo("name");
        assertThat(fieldOf("{}")).isEqualTo("properties");
        assertThat(fieldOf("{'properties':[]}")).isEqualTo("properties");
        assertThat(fieldOf("[]")).isEqualTo("(body)");
    }

    @Test
    void theStatusMessageSaysHowToChangeIt() throws Exception {
        final InvalidFieldException e = catchThrowableOfType(InvalidFieldException.class, () -> EndpointProperties.parse(
                json("{'properties':{'groupId':'s','privateLinkResourceId':'r','linkId':1,'status':'Approved'}}")));
        assertThat(e.getMessage()).contains("approve");
    }

    @Test
    void readsTheOptionalDescriptionOfApproveAndReject() throws Exception {
        assertThat(EndpointProperties.parseDescription(null)).isNull();
        assertThat(EndpointProperties.parseDescription(json("{}"))).isNull();
        assertThat(EndpointProperties.parseDescription(json("{'description':'ok by owner'}"))).isEqualTo("ok by owner");
        assertThat(catchThrowableOfType(InvalidFieldException.class,
                () -> EndpointProperties.parseDescription(json("{'status':'Approved'}"))).field()).isEqualTo("status");
        assertThat(catchThrowableOfType(InvalidFieldException.class,
                () -> EndpointProperties.parseDescription(json("{'description':1}"))).field()).isEqualTo("description");
        assertThat(catchThrowableOfType(InvalidFieldException.class,
                () -> EndpointProperties.parseDescription(json("'x'"))).field()).isEqualTo("(body)");
    }
}
