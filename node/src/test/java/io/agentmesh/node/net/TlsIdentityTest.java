package io.agentmesh.node.net;

import io.agentmesh.protocol.identity.SigningKey;
import org.junit.jupiter.api.Test;

import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class TlsIdentityTest {

    @Test
    void theTlsCertificateCarriesTheNodeKeyAndIsSelfSignedByIt() throws Exception {
        SigningKey key = TestAgent.newNodeKey();
        X509Certificate cert = TlsIdentity.create(key, System.currentTimeMillis(), TestAgent.RANDOM).certificate();
        assertEquals(key.verifyingKey(), TlsIdentity.nodeKeyOf(cert));
        cert.verify(cert.getPublicKey()); // the JDK accepts BC's signature
        cert.checkValidity();
    }

    @Test
    void eachProcessGetsDifferentCertificateBytesForTheSameKey() throws Exception {
        SigningKey key = TestAgent.newNodeKey();
        long now = System.currentTimeMillis();
        byte[] one = TlsIdentity.create(key, now, TestAgent.RANDOM).certificate().getEncoded();
        byte[] two = TlsIdentity.create(key, now, TestAgent.RANDOM).certificate().getEncoded();
        assertFalse(java.util.Arrays.equals(one, two), "random serial");
    }

    @Test
    void aTlsCertificateWithAnotherKindOfKeyIsRefused() throws Exception {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
        gen.initialize(new ECGenParameterSpec("secp256r1"));
        java.security.PublicKey ecKey = gen.generateKeyPair().getPublic();
        java.security.cert.Certificate fake = new java.security.cert.Certificate("X.509") {
            @Override
            public byte[] getEncoded() {
                return new byte[0];
            }

            @Override
            public void verify(java.security.PublicKey key) {
            }

            @Override
            public void verify(java.security.PublicKey key, String sigProvider) {
            }

            @Override
            public String toString() {
                return "fake";
            }

            @Override
            public java.security.PublicKey getPublicKey() {
                return ecKey;
            }
        };
        AuthException e = assertThrows(AuthException.class, () -> TlsIdentity.nodeKeyOf(fake));
        assertEquals(AuthFailure.TLS_KEY_NOT_ED25519, e.reason());
    }
}
