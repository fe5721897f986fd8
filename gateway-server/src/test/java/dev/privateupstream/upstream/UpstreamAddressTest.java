package dev.privateupstream.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class UpstreamAddressTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "http://127.0.0.1:7071, false, 127.0.0.1, 7071, true, http://127.0.0.1:7071",
        "https://10.1.2.3, true, 10.1.2.3, 443, true, https://10.1.2.3:443",
        "http://[::1]:8080/api, false, ::1, 8080, true, http://[::1]:8080",
        "http://[fd00::a:1], false, fd00::a:1, 80, true, http://[fd00::a:1]:80",
        "https://func-chat.azurewebsites.net, true, func-chat.azurewebsites.net, 443, false, https://func-chat.azurewebsites.net:443",
        "http://localhost:7071, false, localhost, 7071, false, http://localhost:7071",
        "http://7071.example:7071, false, 7071.example, 7071, false, http://7071.example:7071",
    })
    void readsTheUrlAndTellsAddressesFromNames(String url, boolean https, String host, int port, boolean literal,
            String shown) {
        final UpstreamAddress address = UpstreamAddress.of(URI.create(url));
        assertThat(address.https()).isEqualTo(https);
        assertThat(address.host()).isEqualTo(host);
        assertThat(address.port()).isEqualTo(port);
        assertThat(address.ipLiteral()).isEqualTo(literal);
        assertThat(address).hasToString(shown);
    }
}
