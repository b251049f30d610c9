/* kyso-choose TITLE TEXT OK CANCEL ITEM...: a GTK 3 dialog with one radio
 * button per item (the first chosen), an OK and a Cancel button. Prints the
 * index of the chosen item and exits 0; exits 1 on Cancel, Escape or when the
 * window is closed; 2 on bad arguments or without a display. All texts come
 * translated from the caller (core/prompt_posix.c), so this program has no
 * catalog of its own. */
#include <gtk/gtk.h>
#include <stdio.h>

#define ITEMS_MAX 64

int main(int argc, char **argv)
{
	if (argc < 6 || argc - 5 > ITEMS_MAX) {
		fprintf(stderr, "usage: kyso-choose TITLE TEXT OK CANCEL ITEM...\n");
		return 2;
	}
	if (!gtk_init_check(&argc, &argv)) {
		fprintf(stderr, "kyso-choose: no display\n");
		return 2;
	}
	int n = argc - 5;
	GtkWidget *dlg =
	        gtk_dialog_new_with_buttons(argv[1], NULL, GTK_DIALOG_MODAL, argv[4],
	                                    GTK_RESPONSE_CANCEL, argv[3], GTK_RESPONSE_OK, NULL);
	gtk_dialog_set_default_response(GTK_DIALOG(dlg), GTK_RESPONSE_OK);
	gtk_window_set_keep_above(GTK_WINDOW(dlg), TRUE);
	gtk_window_set_position(GTK_WINDOW(dlg), GTK_WIN_POS_CENTER);
	gtk_window_set_default_size(GTK_WINDOW(dlg), 560, -1);
	GtkWidget *area = gtk_dialog_get_content_area(GTK_DIALOG(dlg));
	gtk_container_set_border_width(GTK_CONTAINER(area), 12);
	gtk_box_set_spacing(GTK_BOX(area), 8);
	GtkWidget *text = gtk_label_new(argv[2]);
	gtk_label_set_line_wrap(GTK_LABEL(text), TRUE);
	gtk_label_set_xalign(GTK_LABEL(text), 0);
	gtk_box_pack_start(GTK_BOX(area), text, FALSE, FALSE, 0);
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4);
	GtkWidget *radio[ITEMS_MAX];
	for (int i = 0; i < n; i++) {
		radio[i] = gtk_radio_button_new_with_label_from_widget(
		        i > 0 ? GTK_RADIO_BUTTON(radio[0]) : NULL, argv[5 + i]);
		GtkWidget *l = gtk_bin_get_child(GTK_BIN(radio[i]));
		gtk_label_set_line_wrap(GTK_LABEL(l), TRUE);
		gtk_label_set_max_width_chars(GTK_LABEL(l), 70);
		gtk_box_pack_start(GTK_BOX(box), radio[i], FALSE, FALSE, 0);
	}
	/* many certificates scroll; a few take only the room they need */
	GtkWidget *scroll = gtk_scrolled_window_new(NULL, NULL);
	gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(scroll), GTK_POLICY_NEVER,
	                               GTK_POLICY_AUTOMATIC);
	gtk_scrolled_window_set_propagate_natural_height(GTK_SCROLLED_WINDOW(scroll), TRUE);
	gtk_scrolled_window_set_max_content_height(GTK_SCROLLED_WINDOW(scroll), 400);
	gtk_container_add(GTK_CONTAINER(scroll), box);
	gtk_box_pack_start(GTK_BOX(area), scroll, TRUE, TRUE, 0);
	gtk_widget_show_all(dlg);
	gtk_widget_grab_focus(radio[0]);
	gint r = gtk_dialog_run(GTK_DIALOG(dlg));
	int chosen = -1;
	if (r == GTK_RESPONSE_OK)
		for (int i = 0; i < n; i++)
			if (gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(radio[i])))
				chosen = i;
	gtk_widget_destroy(dlg);
	if (chosen < 0)
		return 1;
	printf("%d\n", chosen);
	return fflush(stdout) == 0 ? 0 : 2;
}
