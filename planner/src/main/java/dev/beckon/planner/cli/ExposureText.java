package dev.beckon.planner.cli;

import dev.beckon.activation.systemd.SecurityExposure;
import dev.beckon.activation.systemd.SystemdUnitModule;
import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.manifest.ManifestEntry;
import java.util.Map;

/** {@code beckon plan --security}: the exposure score of every service unit the deployment would write. */
final class ExposureText {
    private ExposureText() {}

    static String render(Manifest desired) {
        StringBuilder text = new StringBuilder("\nExposure (systemd-analyze security of the units as beckon would write them;"
                + " 0 is confined, 10 exposed):\n");
        int units = 0;
        for (ManifestEntry entry : desired.entries()) {
            if (!entry.type().equals(SystemdUnitModule.TYPE)) {
                continue;
            }
            boolean user = !entry.container().getOrDefault("scope", "user").equals("system");
            for (Map.Entry<String, String> file : entry.files().entrySet()) {
                if (SecurityExposure.scores(file.getKey())) {
                    text.append("  ").append(entry.id()).append(" ").append(file.getKey()).append(user ? " (user)" : " (system)")
                            .append(": ").append(SecurityExposure.of(file.getKey(), file.getValue(), user)).append('\n');
                    units++;
                }
            }
        }
        if (units == 0) {
            text.append("  no systemd-unit services\n");
        }
        return text.toString();
    }
}
