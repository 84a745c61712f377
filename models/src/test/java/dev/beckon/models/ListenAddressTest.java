package dev.beckon.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ListenAddressTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "8080                | 8080",
        "127.0.0.1:8080      | 127.0.0.1:8080",
        "localhost:1         | localhost:1",
        "[::1]:8443          | [::1]:8443",
        "[fe80::1%]:1        | ",
        "/run/app.sock       | /run/app.sock",
        "/run/user/0/a@b.sock | /run/user/0/a@b.sock",
    })
    void readsEveryAddressForm(String text, String shown) {
        if (shown == null) {
            assertThrows(IllegalArgumentException.class, () -> ListenAddress.parse(text));
            return;
        }
        assertEquals(shown, ListenAddress.parse(text).toString());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "0                   | outside 1-65535",
        "65536               | outside 1-65535",
        "host:               | is not a port number",
        "host:http           | is not a port number",
        ":80                 | is not a host name",
        "-evil:80            | is not a host name",
        "[zz]:80             | is not an IPv6 address",
        "[::1]               | must be [IPV6]:PORT",
        "relative.sock       | must be a port, HOST:PORT",
        "/run/a b.sock       | may only contain",
        "/run/../etc/x       | must be normalized",
        "/run//x             | must be normalized",
    })
    void rejectsWhatNoSocketCanBindWithAReason(String text, String reason) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ListenAddress.parse(text));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }

    @org.junit.jupiter.api.Test
    void separatesHostFromPort() {
        assertEquals(new ListenAddress.Inet(Optional.of("::1"), 8443), ListenAddress.parse("[::1]:8443"));
        assertEquals(new ListenAddress.Inet(Optional.empty(), 80), ListenAddress.parse("80"));
        String longest = "/" + "a".repeat(ListenAddress.MAX_UNIX_PATH_BYTES - 1);
        assertEquals(new ListenAddress.Unix(longest), ListenAddress.parse(longest));
        assertThrows(IllegalArgumentException.class, () -> ListenAddress.parse(longest + "a"));
    }
}
