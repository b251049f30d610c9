/* USB scan with libusb: devices the catalog lists or that have a CCID
 * (smart card, class 0x0B) interface. Descriptors come from the OS's cache;
 * no device is claimed, reset or configured. Product strings come from
 * sysfs where the OS keeps them, else from an open without claiming. */
#include "detect_internal.h"

#include <stdlib.h>
#include <string.h>

#include <libusb.h>

#define USB_CLASS_CCID 0x0B

static bool has_ccid_interface(libusb_device *dev, const struct libusb_device_descriptor *dd)
{
	if (dd->bDeviceClass == USB_CLASS_CCID)
		return true;
	struct libusb_config_descriptor *cfg = NULL;
	if (libusb_get_active_config_descriptor(dev, &cfg) != 0 &&
	    libusb_get_config_descriptor(dev, 0, &cfg) != 0)
		return false;
	bool ccid = false;
	for (int i = 0; !ccid && i < cfg->bNumInterfaces; i++)
		for (int a = 0; !ccid && a < cfg->interface[i].num_altsetting; a++)
			ccid = cfg->interface[i].altsetting[a].bInterfaceClass == USB_CLASS_CCID;
	libusb_free_config_descriptor(cfg);
	return ccid;
}

static bool catalog_lists(const kyso_catalog_t *cat, uint16_t vid, uint16_t pid)
{
	for (size_t i = 0; i < kyso_catalog_count(cat); i++)
		if (kyso_token_type_match_usb(kyso_catalog_at(cat, i), vid, pid))
			return true;
	return false;
}

/* Linux keeps the string descriptors in sysfs: no device access needed.
 * Elsewhere the file does not exist and the caller falls back. */
static bool sysfs_string(libusb_device *dev, const char *attr, char *out, size_t cap)
{
	uint8_t ports[8];
	int n = libusb_get_port_numbers(dev, ports, (int)sizeof(ports));
	if (n <= 0)
		return false;
	char path[256];
	int o = snprintf(path, sizeof(path), "/sys/bus/usb/devices/%u-",
	                 libusb_get_bus_number(dev));
	for (int i = 0; i < n && o > 0 && (size_t)o < sizeof(path); i++)
		o += snprintf(path + o, sizeof(path) - (size_t)o, i == 0 ? "%u" : ".%u", ports[i]);
	if (o <= 0 || (size_t)o >= sizeof(path))
		return false;
	snprintf(path + o, sizeof(path) - (size_t)o, "/%s", attr);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return false;
	bool ok = fgets(out, (int)cap, f) != NULL;
	fclose(f);
	if (ok)
		out[strcspn(out, "\r\n")] = '\0';
	return ok && out[0] != '\0';
}

/* Opening does not claim or reset; it may fail for lack of permission. */
static void descriptor_strings(libusb_device *dev, const struct libusb_device_descriptor *dd,
                               char *manuf, char *product, size_t cap, bool *denied)
{
	bool have_m = sysfs_string(dev, "manufacturer", manuf, cap);
	bool have_p = sysfs_string(dev, "product", product, cap);
	if ((have_m || dd->iManufacturer == 0) && (have_p || dd->iProduct == 0))
		return;
	libusb_device_handle *h = NULL;
	int rc = libusb_open(dev, &h);
	if (rc != 0) {
		kyso_debug("usb: %04x:%04x: cannot open for strings: %s", dd->idVendor,
		           dd->idProduct, libusb_strerror(rc));
		*denied = *denied || rc == LIBUSB_ERROR_ACCESS;
		return;
	}
	if (!have_m && dd->iManufacturer != 0 &&
	    libusb_get_string_descriptor_ascii(h, dd->iManufacturer, (unsigned char *)manuf,
	                                       (int)cap) < 0)
		manuf[0] = '\0';
	if (!have_p && dd->iProduct != 0 &&
	    libusb_get_string_descriptor_ascii(h, dd->iProduct, (unsigned char *)product,
	                                       (int)cap) < 0)
		product[0] = '\0';
	libusb_close(h);
}

void kyso_usb_scan(kyso_detect_result_t *r, const kyso_catalog_t *cat)
{
	libusb_context *ctx = NULL;
	char msg[256];
	int rc = libusb_init(&ctx);
	if (rc != 0) {
		snprintf(msg, sizeof(msg), _("USB devices cannot be listed (libusb: %s)."),
		         libusb_strerror(rc));
		kyso_detect_result_set_usb(r, KYSO_USB_UNAVAILABLE, msg);
		return;
	}
	if (kyso_log_get_level() < KYSO_LOG_DEBUG)
		libusb_set_option(ctx, LIBUSB_OPTION_LOG_LEVEL, LIBUSB_LOG_LEVEL_NONE);
	libusb_device **list = NULL;
	ssize_t n = libusb_get_device_list(ctx, &list);
	if (n < 0) {
		snprintf(msg, sizeof(msg), _("USB devices cannot be listed (libusb: %s)."),
		         libusb_strerror((int)n));
		kyso_detect_result_set_usb(r, KYSO_USB_UNAVAILABLE, msg);
		libusb_exit(ctx);
		return;
	}
	bool denied = false;
	for (ssize_t i = 0; i < n; i++) {
		struct libusb_device_descriptor dd;
		if (libusb_get_device_descriptor(list[i], &dd) != 0)
			continue;
		bool listed = catalog_lists(cat, dd.idVendor, dd.idProduct);
		bool ccid = has_ccid_interface(list[i], &dd);
		kyso_debug("usb: %04x:%04x class %02x ccid %d listed %d", dd.idVendor, dd.idProduct,
		           dd.bDeviceClass, ccid, listed);
		if (!listed && !ccid)
			continue;
		char manuf[128] = "", product[128] = "";
		descriptor_strings(list[i], &dd, manuf, product, sizeof(product), &denied);
		if (kyso_detect_result_add_usb(
		            r, dd.idVendor, dd.idProduct, libusb_get_bus_number(list[i]),
		            libusb_get_device_address(list[i]), ccid, manuf, product) != KYSO_OK)
			kyso_warn("detect: out of memory recording a USB device");
	}
	libusb_free_device_list(list, 1);
	libusb_exit(ctx);
	kyso_detect_result_set_usb(r, KYSO_USB_OK, NULL);
	if (denied &&
	    kyso_detect_result_warn(r, "%s",
	                            _("USB product names could not be read (no permission); "
	                              "USB IDs are still used.")) != KYSO_OK)
		kyso_warn("detect: out of memory recording a warning");
}
