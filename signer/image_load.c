/* Signature images ("ảnh ký số"): PNG decoded with libpng's simplified API
 * to 8-bit RGB(A) (alpha -> a DeviceGray /SMask), JPEG embedded unchanged as
 * DCTDecode after reading its size from the SOF marker. */
#include "appearance.h"

#include <errno.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define IMG_MAX_SIDE 4096
#define IMG_MAX_FILE ((size_t)20 * 1024 * 1024)

static kyso_err_t bad(kyso_error_t *err, const char *path, const char *why)
{
	return kyso_error_set(err, KYSO_ERR_BAD_IMAGE, _("Cannot use image %s: %s"), path, why);
}

static kyso_err_t zip(const uint8_t *in, size_t len, kyso_buf_t *out, kyso_error_t *err)
{
	uLongf cap = compressBound((uLong)len);
	if (kyso_buf_reserve(out, cap) != KYSO_OK)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	if (compress2(out->data + out->len, &cap, in, (uLong)len, 6) != Z_OK)
		return kyso_error_set(err, KYSO_ERR_INTERNAL, "zlib");
	out->len += cap;
	return KYSO_OK;
}

static kyso_err_t load_png(const char *path, const uint8_t *file, size_t flen, kyso_image_t *img,
                           kyso_error_t *err)
{
	png_image pi;
	memset(&pi, 0, sizeof(pi));
	pi.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_memory(&pi, file, flen))
		return bad(err, path, pi.message);
	if (pi.width == 0 || pi.height == 0 || pi.width > IMG_MAX_SIDE ||
	    pi.height > IMG_MAX_SIDE) {
		png_image_free(&pi);
		return bad(err, path, _("larger than 4096x4096 pixels"));
	}
	img->has_alpha = (pi.format & PNG_FORMAT_FLAG_ALPHA) != 0;
	pi.format = img->has_alpha ? PNG_FORMAT_RGBA : PNG_FORMAT_RGB;
	size_t stride = PNG_IMAGE_ROW_STRIDE(pi), size = PNG_IMAGE_BUFFER_SIZE(pi, stride);
	uint8_t *px = malloc(size);
	if (px == NULL) {
		png_image_free(&pi);
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	}
	if (!png_image_finish_read(&pi, NULL, px, (png_int_32)stride, NULL)) {
		free(px);
		return bad(err, path, pi.message);
	}
	img->width = pi.width;
	img->height = pi.height;
	size_t npx = (size_t)pi.width * pi.height;
	kyso_err_t rc = KYSO_OK;
	if (img->has_alpha) {
		uint8_t *rgb = malloc(npx * 3), *a = malloc(npx);
		if (rgb == NULL || a == NULL) {
			rc = kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
		} else {
			for (size_t i = 0; i < npx; i++) {
				memcpy(rgb + 3 * i, px + 4 * i, 3);
				a[i] = px[4 * i + 3];
			}
			rc = zip(rgb, npx * 3, &img->data, err);
			if (rc == KYSO_OK)
				rc = zip(a, npx, &img->smask, err);
		}
		free(rgb);
		free(a);
	} else {
		rc = zip(px, npx * 3, &img->data, err);
	}
	free(px);
	if (rc != KYSO_OK)
		return rc;
	snprintf(img->dict, sizeof(img->dict),
	         "<< /Type /XObject /Subtype /Image /Width %u /Height %u /ColorSpace /DeviceRGB "
	         "/BitsPerComponent 8 /Filter /FlateDecode",
	         img->width, img->height);
	if (img->has_alpha)
		snprintf(img->smask_dict, sizeof(img->smask_dict),
		         "<< /Type /XObject /Subtype /Image /Width %u /Height %u /ColorSpace "
		         "/DeviceGray /BitsPerComponent 8 /Filter /FlateDecode >>",
		         img->width, img->height);
	return KYSO_OK;
}

/* JPEG: width, height and components from the first SOFn marker. */
static kyso_err_t load_jpeg(const char *path, const uint8_t *p, size_t n, kyso_image_t *img,
                            kyso_error_t *err)
{
	size_t i = 2;
	while (i + 4 <= n) {
		if (p[i] != 0xFF)
			return bad(err, path, _("damaged JPEG"));
		uint8_t m = p[i + 1];
		if (m == 0xFF) {
			i++;
			continue;
		}
		size_t len = (size_t)p[i + 2] << 8 | p[i + 3];
		if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
			if (i + 10 > n)
				break;
			unsigned h = (unsigned)p[i + 5] << 8 | p[i + 6];
			unsigned w = (unsigned)p[i + 7] << 8 | p[i + 8];
			unsigned comps = p[i + 9];
			if (w == 0 || h == 0 || w > IMG_MAX_SIDE || h > IMG_MAX_SIDE)
				return bad(err, path, _("larger than 4096x4096 pixels"));
			const char *cs = comps == 1   ? "/DeviceGray"
			                 : comps == 3 ? "/DeviceRGB"
			                 : comps == 4 ? "/DeviceCMYK"
			                              : NULL;
			if (cs == NULL)
				return bad(err, path, _("unsupported JPEG colours"));
			img->width = w;
			img->height = h;
			snprintf(img->dict, sizeof(img->dict),
			         "<< /Type /XObject /Subtype /Image /Width %u /Height %u "
			         "/ColorSpace "
			         "%s /BitsPerComponent 8 /Filter /DCTDecode%s",
			         w, h, cs, comps == 4 ? " /Decode [1 0 1 0 1 0 1 0]" : "");
			if (kyso_buf_append(&img->data, p, n) != KYSO_OK)
				return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
			return KYSO_OK;
		}
		i += 2 + len;
	}
	return bad(err, path, _("damaged JPEG"));
}

kyso_err_t kyso_image_load(const char *path, kyso_image_t *img, kyso_error_t *err)
{
	memset(img, 0, sizeof(*img));
	kyso_buf_init(&img->data);
	kyso_buf_init(&img->smask);
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return kyso_error_set(err, KYSO_ERR_BAD_IMAGE, _("Cannot open image %s: %s"), path,
		                      strerror(errno));
	kyso_buf_t file;
	kyso_buf_init(&file);
	uint8_t chunk[65536];
	size_t r;
	kyso_err_t rc = KYSO_OK;
	while ((r = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (file.len + r > IMG_MAX_FILE) {
			rc = bad(err, path, _("file larger than 20 MB"));
			break;
		}
		if (kyso_buf_append(&file, chunk, r) != KYSO_OK) {
			rc = kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
			break;
		}
	}
	if (rc == KYSO_OK && ferror(f))
		rc = kyso_error_set(err, KYSO_ERR_BAD_IMAGE, _("Cannot read image %s."), path);
	fclose(f);
	if (rc == KYSO_OK) {
		if (file.len > 8 && memcmp(file.data, "\x89PNG\r\n\x1a\n", 8) == 0)
			rc = load_png(path, file.data, file.len, img, err);
		else if (file.len > 4 && file.data[0] == 0xFF && file.data[1] == 0xD8)
			rc = load_jpeg(path, file.data, file.len, img, err);
		else
			rc = bad(err, path, _("not a PNG or JPEG file"));
	}
	kyso_buf_free(&file);
	if (rc != KYSO_OK)
		kyso_image_free(img);
	return rc;
}

void kyso_image_free(kyso_image_t *img)
{
	kyso_buf_free(&img->data);
	kyso_buf_free(&img->smask);
}
