package dev.beckon.activation.systemd;

import java.util.List;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.Struct;
import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.annotations.Position;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.freedesktop.dbus.messages.DBusSignal;
import org.freedesktop.dbus.types.UInt32;

/**
 * The part of {@code org.freedesktop.systemd1.Manager} that beckon uses (see
 * org.freedesktop.systemd1(5)). Method names are the D-Bus member names.
 */
@DBusInterfaceName("org.freedesktop.systemd1.Manager")
interface SystemdManager extends DBusInterface {
    String BUS_NAME = "org.freedesktop.systemd1";
    String OBJECT_PATH = "/org/freedesktop/systemd1";

    void Subscribe();

    void Reload();

    DBusPath StartUnit(String name, String mode);

    DBusPath StopUnit(String name, String mode);

    DBusPath RestartUnit(String name, String mode);

    DBusPath TryRestartUnit(String name, String mode);

    DBusPath LoadUnit(String name);

    void ResetFailedUnit(String name);

    List<UnitInfo> ListUnitsByPatterns(List<String> states, List<String> patterns);

    /** One row per name, in order, loading the units not loaded (systemd 227 and later). */
    List<UnitInfo> ListUnitsByNames(List<String> names);

    /** One row of ListUnits: {@code (ssssssouso)}. */
    final class UnitInfo extends Struct {
        @Position(0) public final String name;
        @Position(1) public final String description;
        @Position(2) public final String loadState;
        @Position(3) public final String activeState;
        @Position(4) public final String subState;
        @Position(5) public final String following;
        @Position(6) public final DBusPath path;
        @Position(7) public final UInt32 jobId;
        @Position(8) public final String jobType;
        @Position(9) public final DBusPath jobPath;

        public UnitInfo(String name, String description, String loadState, String activeState, String subState,
                String following, DBusPath path, UInt32 jobId, String jobType, DBusPath jobPath) {
            this.name = name;
            this.description = description;
            this.loadState = loadState;
            this.activeState = activeState;
            this.subState = subState;
            this.following = following;
            this.path = path;
            this.jobId = jobId;
            this.jobType = jobType;
            this.jobPath = jobPath;
        }
    }

    /** Sent when a job finishes; {@code result} is done, canceled, timeout, failed, dependency or skipped. */
    class JobRemoved extends DBusSignal {
        public final UInt32 id;
        public final DBusPath job;
        public final String unit;
        public final String result;

        public JobRemoved(String path, UInt32 id, DBusPath job, String unit, String result) throws DBusException {
            super(path, id, job, unit, result);
            this.id = id;
            this.job = job;
            this.unit = unit;
            this.result = result;
        }
    }
}
