/*
 * kh-usb-list: list USB devices as libusb sees them (under umockdev-run, the
 * fake ones). One line per device:
 *   VID:PID bus=BBB dev=DDD class=CC ifaces=I0,I1,...
 * -v adds a line per interface: "  iface N class CC eps=E extra=X" (X = bytes of
 * class-specific descriptors, 54 for a CCID functional descriptor).
 * With VID:PID arguments, exit 0 only when every one of them is present.
 * Exit 0 ok, 1 a wanted device missing or a libusb error, 2 usage.
 */
#include <libusb.h>

#include <stdio.h>
#include <string.h>

static void print_iface_classes(libusb_device *dev)
{
	struct libusb_config_descriptor *cfg;
	if (libusb_get_active_config_descriptor(dev, &cfg) != 0 &&
	    libusb_get_config_descriptor(dev, 0, &cfg) != 0) {
		printf("?");
		return;
	}
	for (uint8_t i = 0; i < cfg->bNumInterfaces; i++) {
		const struct libusb_interface *itf = &cfg->interface[i];
		if (itf->num_altsetting > 0)
			printf("%s%02x", i ? "," : "", itf->altsetting[0].bInterfaceClass);
	}
	libusb_free_config_descriptor(cfg);
}

static void print_ifaces_verbose(libusb_device *dev)
{
	struct libusb_config_descriptor *cfg;
	if (libusb_get_active_config_descriptor(dev, &cfg) != 0 &&
	    libusb_get_config_descriptor(dev, 0, &cfg) != 0)
		return;
	for (uint8_t i = 0; i < cfg->bNumInterfaces; i++) {
		const struct libusb_interface *itf = &cfg->interface[i];
		if (itf->num_altsetting < 1)
			continue;
		const struct libusb_interface_descriptor *alt = &itf->altsetting[0];
		printf("  iface %u class %02x eps=%u extra=%d\n", alt->bInterfaceNumber,
		       alt->bInterfaceClass, alt->bNumEndpoints, alt->extra_length);
	}
	libusb_free_config_descriptor(cfg);
}

static int parse_id(const char *s, unsigned int *vid, unsigned int *pid)
{
	char tail;
	if (strlen(s) != 9 || sscanf(s, "%4x:%4x%c", vid, pid, &tail) != 2)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	libusb_context *ctx;
	libusb_device **list;
	unsigned int want[32][2];
	int found[32] = {0};
	int verbose = argc > 1 && strcmp(argv[1], "-v") == 0;
	int nwant = argc - 1 - verbose;

	if (nwant > 32) {
		fprintf(stderr, "kh-usb-list: at most 32 VID:PID arguments\n");
		return 2;
	}
	for (int i = 0; i < nwant; i++) {
		if (parse_id(argv[i + 1 + verbose], &want[i][0], &want[i][1]) != 0) {
			fprintf(stderr,
			        "Usage: kh-usb-list [-v] [VID:PID]...  (hex, e.g. 096e:0807)\n");
			return 2;
		}
	}
	int rc = libusb_init(&ctx);
	if (rc != 0) {
		fprintf(stderr, "kh-usb-list: libusb_init: %s\n", libusb_strerror(rc));
		return 1;
	}
	ssize_t n = libusb_get_device_list(ctx, &list);
	if (n < 0) {
		fprintf(stderr, "kh-usb-list: libusb_get_device_list: %s\n",
		        libusb_strerror((int)n));
		libusb_exit(ctx);
		return 1;
	}
	for (ssize_t i = 0; i < n; i++) {
		struct libusb_device_descriptor d;
		if (libusb_get_device_descriptor(list[i], &d) != 0)
			continue;
		printf("%04x:%04x bus=%03u dev=%03u class=%02x ifaces=", d.idVendor, d.idProduct,
		       libusb_get_bus_number(list[i]), libusb_get_device_address(list[i]),
		       d.bDeviceClass);
		print_iface_classes(list[i]);
		putchar('\n');
		if (verbose)
			print_ifaces_verbose(list[i]);
		for (int w = 0; w < nwant; w++) {
			if (want[w][0] == d.idVendor && want[w][1] == d.idProduct)
				found[w] = 1;
		}
	}
	libusb_free_device_list(list, 1);
	libusb_exit(ctx);
	rc = 0;
	for (int w = 0; w < nwant; w++) {
		if (!found[w]) {
			fprintf(stderr, "kh-usb-list: %04x:%04x not found\n", want[w][0],
			        want[w][1]);
			rc = 1;
		}
	}
	return rc;
}
