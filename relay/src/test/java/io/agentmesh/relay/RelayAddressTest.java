package io.agentmesh.relay;

import io.agentmesh.relay.tls.RelayFingerprint;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RelayAddressTest {
    private static final String HEX = "1b23ae083ebabfdb47150d82547786f768878fdeba87cd98b7e8942711bfc7dc";

    @Test
    void aRelayIsWrittenHostPortWithAnOptionalPin() {
        RelayAddress plain = RelayAddress.parse("relay.example.org:7600");
        assertEquals("relay.example.org:7600", plain.name());
        assertTrue(plain.pin().isEmpty());
        RelayAddress pinned = RelayAddress.parse("10.0.0.1:7600#sha256:" + HEX.toUpperCase());
        assertEquals(new InetSocketAddress("10.0.0.1", 7600), pinned.address());
        assertEquals(new RelayFingerprint("sha256:" + HEX), pinned.pin().orElseThrow());
        assertEquals("10.0.0.1:7600#sha256:" + HEX, pinned.toString());
    }

    @Test
    void aMalformedPinIsRefusedNamingTheRelayAndTheForm() {
        IllegalArgumentException short_ = assertThrows(IllegalArgumentException.class,
                () -> RelayAddress.parse("10.0.0.1:7600#sha256:abc"));
        assertTrue(short_.getMessage().contains("10.0.0.1:7600") && short_.getMessage().contains("64 hex"),
                short_.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RelayAddress.parse("10.0.0.1:7600#md5:" + HEX));
        assertThrows(IllegalArgumentException.class, () -> RelayAddress.parse("10.0.0.1:7600#sha256:"
                + HEX.replace('1', 'g')));
        assertThrows(IllegalArgumentException.class, () -> RelayAddress.parse("nohost#sha256:" + HEX));
    }
}
