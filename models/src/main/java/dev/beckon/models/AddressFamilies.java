package dev.beckon.models;

import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/** The socket families of RestrictAddressFamilies=: which a service needs, and the names systemd knows. */
public final class AddressFamilies {
    /** For sd_notify, the journal and the service manager's own sockets: every service gets it. */
    public static final String UNIX = "AF_UNIX";
    public static final List<String> INET = List.of("AF_INET", "AF_INET6");
    /** Linux's families, as systemd names them; a name outside them is a typo that systemd would only warn about. */
    public static final Set<String> KNOWN = Set.of("AF_UNIX", "AF_INET", "AF_INET6", "AF_NETLINK", "AF_PACKET", "AF_BLUETOOTH",
            "AF_CAN", "AF_ALG", "AF_VSOCK", "AF_XDP", "AF_TIPC", "AF_KEY", "AF_APPLETALK", "AF_X25", "AF_AX25", "AF_NETROM",
            "AF_BRIDGE", "AF_ATMPVC", "AF_ATMSVC", "AF_ROSE", "AF_DECnet", "AF_NETBEUI", "AF_SECURITY", "AF_LLC", "AF_IB", "AF_MPLS",
            "AF_RDS", "AF_SNA", "AF_IRDA", "AF_PPPOX", "AF_WANPIPE", "AF_ISDN", "AF_PHONET", "AF_IEEE802154", "AF_CAIF", "AF_NFC",
            "AF_KCM", "AF_QIPCRTR", "AF_SMC", "AF_MCTP", "AF_IPX", "AF_IUCV", "AF_RXRPC");

    private AddressFamilies() {}

    /**
     * What a service needs: AF_UNIX always; AF_INET and AF_INET6 when it has ports, listens on an IP address or
     * depends on another service (which it reaches over IP); and the ones the model adds.
     */
    static SortedSet<String> needed(boolean usesIp, Set<String> added) {
        SortedSet<String> families = new TreeSet<>(added);
        families.add(UNIX);
        if (usesIp) {
            families.addAll(INET);
        }
        return families;
    }
}
